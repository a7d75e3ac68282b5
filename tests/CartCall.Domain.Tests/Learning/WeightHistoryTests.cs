using System.Text.Json;
using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Learning;

public class WeightHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static RefitResult Fit() => LogisticRefit.Fit(Synthetic.Examples(3_000, seed: 31));

    private static ShadowComparison Verdict(bool promote) =>
        new(100, 100, 0.6, promote ? 0.5 : 0.6, 0.7, 0.75, new(0.1, 0.05, 0.15), promote, promote ? "better" : "not better");

    [Fact]
    public void Start_HasOneLiveVersion()
    {
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0);

        Assert.Equal(1, h.Live.Version);
        Assert.Null(h.Shadow);
    }

    [Fact]
    public void Promotion_MakesTheShadowLive_AndRetiresTheOldLive()
    {
        var fit = Fit();
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0)
            .AddShadow(fit, T0.AddDays(7));
        Assert.Equal(2, h.Shadow!.Version);

        h = h.Decide(2, Verdict(promote: true), T0.AddDays(8));

        Assert.Equal(2, h.Live.Version);
        Assert.Equal(fit.Weights, h.Live.Weights);
        Assert.Equal(T0.AddDays(8), h.Live.PromotedAt);
        Assert.NotNull(h.Live.Comparison);
        Assert.Equal(WeightSetStatus.Retired, h.Versions.Single(v => v.Version == 1).Status);
        Assert.Null(h.Shadow);
    }

    [Fact]
    public void Rejection_KeepsTheLiveWeights_AndRecordsWhy()
    {
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0).AddShadow(Fit(), T0.AddDays(7));

        h = h.Decide(2, Verdict(promote: false), T0.AddDays(8));

        Assert.Equal(1, h.Live.Version);
        var rejected = h.Versions.Single(v => v.Version == 2);
        Assert.Equal(WeightSetStatus.Rejected, rejected.Status);
        Assert.Equal("not better", rejected.Comparison!.Verdict);
    }

    [Fact]
    public void Decide_OnAVersionThatIsNoLongerTheShadow_ChangesNothing()
    {
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0)
            .AddShadow(Fit(), T0.AddDays(7))
            .AddShadow(Fit(), T0.AddDays(8)); // version 2 is superseded by 3

        Assert.Equal(WeightSetStatus.Rejected, h.Versions.Single(v => v.Version == 2).Status);
        Assert.Same(h, h.Decide(2, Verdict(promote: true), T0.AddDays(9)));
        var decided = h.Decide(3, Verdict(promote: true), T0.AddDays(9));
        Assert.Same(decided, decided.Decide(3, Verdict(promote: true), T0.AddDays(10))); // a retried step
    }

    [Fact]
    public void MerchantWeights_GoLiveAtOnce_AndDropTheShadow()
    {
        var own = ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.PaymentFailures] = 2 });
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0).AddShadow(Fit(), T0.AddDays(1));

        h = h.SetByMerchant(own, T0.AddDays(2));

        Assert.Equal((3, WeightHistory.SourceOverride), (h.Live.Version, h.Live.Source));
        Assert.Null(h.Shadow);
        Assert.Equal([WeightSetStatus.Retired, WeightSetStatus.Rejected, WeightSetStatus.Live], h.Versions.Select(v => v.Status));
    }

    [Fact]
    public void History_SurvivesAJsonRoundTrip()
    {
        var h = WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0)
            .AddShadow(Fit(), T0.AddDays(7))
            .Decide(2, Verdict(promote: true), T0.AddDays(8));

        var back = JsonSerializer.Deserialize<WeightHistory>(JsonSerializer.Serialize(h))!;

        Assert.Equal(h.Versions.Select(v => (v.Version, v.Status, v.Source, v.CreatedAt)), back.Versions.Select(v => (v.Version, v.Status, v.Source, v.CreatedAt)));
        Assert.Equal(h.Live.Weights, back.Live.Weights);
        Assert.Equal(h.Live.Comparison!.LogLossReduction, back.Live.Comparison!.LogLossReduction);
    }

    [Fact]
    public void AddShadow_RefusesARefitThatDidNotRun()
    {
        var refused = LogisticRefit.Fit(Synthetic.Examples(10, seed: 1));

        Assert.Throws<ArgumentException>(() => WeightHistory.Start("m1", ScoringWeights.Default, WeightHistory.SourceDefault, T0).AddShadow(refused, T0));
    }
}
