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
        // + 0.0 turns a rounded −0 into 0, so the README and code never show "-0.00".
        var rounded = FeatureNames.All.ToDictionary(n => n, n => Math.Round(weights.WeightOf(n), 2) + 0.0, StringComparer.Ordinal);
        return new ScoringWeights(Math.Round(weights.Intercept, 2) + 0.0, new ReadOnlyDictionary<string, double>(rounded));
    }

    /// <summary>Net margins within this share of the best count as a tie (the sweep's seed-to-seed noise is about this size).</summary>
    public const double Tie = 0.02;

    /// <summary>
    /// The sweep point shipped: the best expected net margin, and among points within <see cref="Tie"/> of it the
    /// highest minScore (fewer offers, fewer buyers interrupted), then the lowest minCartValue.
    /// </summary>
    public static SweepPoint Choose(IReadOnlyList<SweepPoint> sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var best = sweep.Max(p => p.Result.ExpectedNetMarginPer1000);
        return sweep
            .Where(p => p.Result.ExpectedNetMarginPer1000 >= best * (1 - Tie))
            .OrderByDescending(p => p.MinScore)
            .ThenBy(p => p.MinCartValue)
            .First();
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
