using System.Globalization;
using CartCall.Domain.Experiments;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Learning;

/// <summary>
/// When shadow weights replace the live ones. Documented in Scoring/README.md ("Weights that learn"): the holdout must
/// be big enough, the candidate's log loss must be lower by at least <see cref="MinRelativeLogLossReduction"/> with the
/// per-session reduction's 95% interval above zero, and its AUC may not fall by more than <see cref="MaxAucDrop"/>.
/// </summary>
public sealed record PromotionRule
{
    /// <summary>Relative log-loss improvement the candidate must show: 2% (noise between refits is well below that).</summary>
    public double MinRelativeLogLossReduction { get; init; } = 0.02;

    /// <summary>Better calibration may not be bought with worse ranking beyond this much AUC.</summary>
    public double MaxAucDrop { get; init; } = 0.01;

    /// <summary>Holdout sessions needed before any comparison counts.</summary>
    public double MinHoldoutSessions { get; init; } = 200;

    /// <summary>Of each outcome, in the holdout.</summary>
    public double MinHoldoutPerOutcome { get; init; } = 30;

    public static PromotionRule Default { get; } = new();
}

/// <summary>Live against candidate weights on the same holdout sessions.</summary>
/// <param name="LogLossReduction">Per-session live − candidate log loss, mean with a 95% normal interval over sessions.</param>
public sealed record ShadowComparison(
    int Examples,
    double Sessions,
    double LiveLogLoss,
    double CandidateLogLoss,
    double LiveAuc,
    double CandidateAuc,
    Estimate LogLossReduction,
    bool Promote,
    string Verdict)
{
    /// <summary>Scores the holdout with both weight sets and applies the rule.</summary>
    public static ShadowComparison Compare(CartScorer live, CartScorer candidate, IReadOnlyList<TrainingExample> holdout, PromotionRule? rule = null)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(holdout);
        rule ??= PromotionRule.Default;

        var liveScores = ModelEvaluation.Scores(live, holdout);
        var candidateScores = ModelEvaluation.Scores(candidate, holdout);
        var labels = holdout.Select(e => e.Abandoned).ToArray();
        var weights = holdout.Select(e => Math.Max(0, e.Weight)).ToArray();
        var liveLoss = ModelEvaluation.LogLoss(liveScores, labels, weights);
        var candidateLoss = ModelEvaluation.LogLoss(candidateScores, labels, weights);
        var liveAuc = ModelEvaluation.Auc(liveScores, labels, weights);
        var candidateAuc = ModelEvaluation.Auc(candidateScores, labels, weights);

        // Snapshots of one session move together; the interval is taken over sessions, each its weighted mean.
        var groups = new Dictionary<string, (double Weight, double Difference, bool Abandoned)>(StringComparer.Ordinal);
        for (var i = 0; i < holdout.Count; i++)
        {
            var key = holdout[i].Group ?? "#" + i.ToString(CultureInfo.InvariantCulture);
            var difference = ModelEvaluation.ExampleLogLoss(liveScores[i], labels[i]) - ModelEvaluation.ExampleLogLoss(candidateScores[i], labels[i]);
            groups.TryGetValue(key, out var g);
            groups[key] = (g.Weight + weights[i], g.Difference + (weights[i] * difference), labels[i]);
        }

        double sessions = 0, abandoned = 0;
        var moments = new SampleMoments();
        foreach (var g in groups.Values)
        {
            sessions += g.Weight;
            abandoned += g.Abandoned ? g.Weight : 0;
            if (g.Weight > 0)
            {
                moments.Add(g.Difference / g.Weight);
            }
        }

        var half = moments.Count > 1 ? Intervals.Z95 * Math.Sqrt(moments.Variance / moments.Count) : double.PositiveInfinity;
        var reduction = new Estimate(moments.Mean, moments.Mean - half, moments.Mean + half);
        var relative = liveLoss > 0 ? (liveLoss - candidateLoss) / liveLoss : 0;

        string verdict;
        var promote = false;
        if (sessions < rule.MinHoldoutSessions || Math.Min(abandoned, sessions - abandoned) < rule.MinHoldoutPerOutcome)
        {
            verdict = Invariant($"Not enough holdout outcomes ({sessions:0} sessions, {abandoned:0} abandoned); needs {rule.MinHoldoutSessions:0} with {rule.MinHoldoutPerOutcome:0} of each outcome.");
        }
        else if (relative < rule.MinRelativeLogLossReduction)
        {
            verdict = Invariant($"Log loss {candidateLoss:0.0000} against {liveLoss:0.0000} live is {relative:P1} better; {rule.MinRelativeLogLossReduction:P0} is needed.");
        }
        else if (!(reduction.Lower > 0))
        {
            verdict = Invariant($"The per-session log-loss reduction's 95% interval [{reduction.Lower:0.0000}, {reduction.Upper:0.0000}] includes zero.");
        }
        else if (candidateAuc < liveAuc - rule.MaxAucDrop)
        {
            verdict = Invariant($"AUC would fall from {liveAuc:0.000} to {candidateAuc:0.000}.");
        }
        else
        {
            promote = true;
            verdict = Invariant($"Log loss {candidateLoss:0.0000} against {liveLoss:0.0000} live ({relative:P1} better), AUC {candidateAuc:0.000} against {liveAuc:0.000}.");
        }

        return new ShadowComparison(holdout.Count, sessions, liveLoss, candidateLoss, liveAuc, candidateAuc, reduction, promote, verdict);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
