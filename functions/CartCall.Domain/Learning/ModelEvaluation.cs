using CartCall.Domain.Scoring;

namespace CartCall.Domain.Learning;

/// <summary>How well scores predict outcomes: log loss (calibration and sharpness) and AUC (ranking).</summary>
public static class ModelEvaluation
{
    // Scores are clamped this far from 0 and 1 so one confident mistake costs a lot but not infinity.
    private const double Epsilon = 1e-12;

    /// <summary>Weighted mean log loss: −Σ w·[y·ln p + (1 − y)·ln(1 − p)] / Σ w. Lower is better.</summary>
    public static double LogLoss(IReadOnlyList<double> scores, IReadOnlyList<bool> abandoned, IReadOnlyList<double>? weights = null)
    {
        Check(scores, abandoned, weights);
        double total = 0, weightSum = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var w = weights?[i] ?? 1;
            total += w * ExampleLogLoss(scores[i], abandoned[i]);
            weightSum += w;
        }

        return weightSum > 0 ? total / weightSum : double.NaN;
    }

    /// <summary>
    /// Weighted area under the ROC curve: the chance that a random abandoned example scores above a random completed
    /// one, ties counting half (Mann–Whitney). 0.5 is guessing, 1 is perfect; NaN without both outcomes.
    /// </summary>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<bool> abandoned, IReadOnlyList<double>? weights = null)
    {
        Check(scores, abandoned, weights);
        var order = new int[scores.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));
        double negativesBelow = 0, concordant = 0, positives = 0, negatives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            double groupPositives = 0, groupNegatives = 0;
            while (end < order.Length && scores[order[end]].CompareTo(scores[order[start]]) == 0)
            {
                var w = weights?[order[end]] ?? 1;
                if (abandoned[order[end]])
                {
                    groupPositives += w;
                }
                else
                {
                    groupNegatives += w;
                }

                end++;
            }

            concordant += groupPositives * (negativesBelow + (groupNegatives / 2));
            negativesBelow += groupNegatives;
            positives += groupPositives;
            negatives += groupNegatives;
            start = end;
        }

        return positives > 0 && negatives > 0 ? concordant / (positives * negatives) : double.NaN;
    }

    internal static double ExampleLogLoss(double score, bool abandoned)
    {
        var p = double.IsFinite(score) ? Math.Clamp(score, Epsilon, 1 - Epsilon) : 0.5;
        return abandoned ? -Math.Log(p) : -Math.Log(1 - p);
    }

    /// <summary>The scores a scorer gives the examples, in order.</summary>
    public static double[] Scores(CartScorer scorer, IReadOnlyList<TrainingExample> examples)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(examples);
        var scores = new double[examples.Count];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = scorer.Evaluate(examples[i].Features).Value;
        }

        return scores;
    }

    private static void Check(IReadOnlyList<double> scores, IReadOnlyList<bool> abandoned, IReadOnlyList<double>? weights)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(abandoned);
        if (scores.Count != abandoned.Count || (weights is not null && weights.Count != scores.Count))
        {
            throw new ArgumentException("Scores, outcomes and weights must have the same length.");
        }
    }
}
