using CartCall.Domain.Scoring;
using CartCall.Domain.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCall.Domain.Tests.Scoring;

public class ScoringPropertyTests
{
    private static readonly CartScorer Default = new(ScoringWeights.Default);

    private static bool Sane(Score s) =>
        double.IsFinite(s.Value) && s.Value is >= 0 and <= 1
        && s.TopReasons.Count <= 3
        && s.TopReasons.All(r => double.IsFinite(r.Contribution) && r.Contribution != 0)
        && s.TopReasons.Zip(s.TopReasons.Skip(1)).All(p => Math.Abs(p.First.Contribution) >= Math.Abs(p.Second.Contribution))
        && ScoreStates.All.Contains(s.State);

    [Property(MaxTest = 500)]
    public Property Evaluate_ArbitraryFeatures_ScoreIsFiniteAndWithinZeroOne() =>
        Prop.ForAll(Generators.AnyFeatures.ToArbitrary(), f => Sane(Default.Evaluate(f)));

    [Property(MaxTest = 300)]
    public Property Evaluate_ArbitraryFeaturesAndValidWeights_ScoreIsFiniteAndWithinZeroOne() =>
        Prop.ForAll(
            (from f in Generators.AnyFeatures
             from w in Generators.AnyValidWeights
             select (f, w)).ToArbitrary(),
            t => Sane(new CartScorer(t.w).Evaluate(t.f)));
}
