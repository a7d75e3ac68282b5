using System.Collections.ObjectModel;
using CartCall.Domain.Learning;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;

namespace CartCall.LocalCloud.Simulator.Calibration;

/// <summary>One point of a threshold sweep.</summary>
public sealed record SweepPoint(double MinScore, decimal MinCartValue, CalibrationResult Result);

/// <summary>
/// How the shipped defaults were derived from the behaviour model (Scoring/README.md, "Calibration"), so anyone can
/// redo it: fit the weights on one seed, measure what an offer is worth on a second, sweep thresholds on that second,
/// and report on a third that took no part in choosing.
/// </summary>
public static class CalibrationTuning
{
    /// <summary>Seeds kept apart so the reported figures are out of sample.</summary>
    public const int FitSeed = 101, TuneSeed = 202, ReportSeed = 20_260_314;

    /// <summary>
    /// Fits the scorer's weights on <paramref name="visits"/> simulated visits: every decision snapshot (events and idle
    /// checks under <paramref name="idle"/>), no offers made, each session weighing 1, labelled by whether the visit was
    /// abandoned. The same refit the product runs on a merchant's own outcomes, pulled towards zero.
    /// </summary>
    public static RefitResult FitWeights(int visits, IdleSchedule idle, int seed = FitSeed)
    {
        var sessions = new List<LabelledSession>(visits);
        var policy = new CalibrationPolicy("fit", ScoringWeights.Default, CalibrationPolicy.Shipped.Settings, idle);
        CalibrationHarness.Run(policy, new CalibrationOptions(visits, seed, HoldoutShare: 0, NeverOffer: true), sessions.Add);
        var (training, _) = LearningSets.Build(sessions);
        return LogisticRefit.Fit(training, RefitOptions.Default);
    }

    /// <summary>Weights rounded to two decimals, as the README and code carry them.</summary>
    public static ScoringWeights Rounded(ScoringWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var rounded = FeatureNames.All.ToDictionary(n => n, n => Math.Round(weights.WeightOf(n), 2), StringComparer.Ordinal);
        return new ScoringWeights(Math.Round(weights.Intercept, 2), new ReadOnlyDictionary<string, double>(rounded));
    }

    /// <summary>Runs <paramref name="policy"/> at every threshold pair, on the tuning seed.</summary>
    public static IReadOnlyList<SweepPoint> Sweep(
        CalibrationPolicy policy, IEnumerable<double> minScores, IEnumerable<decimal> minCartValues, int visits, int seed = TuneSeed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var cartValues = minCartValues.ToList();
        var points = new List<SweepPoint>();
        foreach (var score in minScores)
        {
            foreach (var cart in cartValues)
            {
                var settings = policy.Settings with { Thresholds = policy.Settings.Thresholds with { MinScore = score, MinCartValue = cart } };
                var result = CalibrationHarness.Run(policy with { Name = $"{score:0.00}/{cart:0}", Settings = settings }, new CalibrationOptions(visits, seed, HoldoutShare: 0));
                points.Add(new SweepPoint(score, cart, result));
            }
        }

        return points;
    }
}
