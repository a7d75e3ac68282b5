namespace CartCall.Domain.Scoring;

/// <summary>
/// Scores sessions with an explainable logistic model. Create once per weight set and reuse: the weights are
/// compiled to an array so <see cref="Evaluate"/> allocates only its result.
/// </summary>
public sealed class CartScorer
{
    private const int FeatureCount = 14;
    private const int MaxReasons = 3;

    private readonly double _intercept;
    private readonly double[] _weights = new double[FeatureCount];
    private readonly FeatureSpec[] _specs;

    /// <exception cref="ArgumentException">The weights have problems (see <see cref="ScoringWeights.Problems"/>).</exception>
    public CartScorer(ScoringWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var problems = weights.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(weights));
        }

        Weights = weights;
        _intercept = weights.Intercept;
        _specs = [.. FeatureSpecs.All];
        for (var i = 0; i < FeatureCount; i++)
        {
            _weights[i] = weights.WeightOf(FeatureNames.All[i]);
        }
    }

    public ScoringWeights Weights { get; }

    public Score Evaluate(SessionFeatures f)
    {
        ArgumentNullException.ThrowIfNull(f);
        Span<double> contributions = stackalloc double[FeatureCount];
        var z = _intercept;
        for (var i = 0; i < FeatureCount; i++)
        {
            var c = _weights[i] * _specs[i].Apply(f.Raw((Feature)i));
            contributions[i] = c;
            z += c;
        }

        // Both tails are finite: exp overflows to +∞ (value 0) or underflows to 0 (value 1).
        var value = 1.0 / (1.0 + Math.Exp(-z));

        // Top three by |contribution| with three slots; ties keep feature order so explanations are stable.
        int first = -1, second = -1, third = -1;
        for (var i = 0; i < FeatureCount; i++)
        {
            var magnitude = Math.Abs(contributions[i]);
            if (magnitude == 0)
            {
                continue;
            }

            if (first < 0 || magnitude > Math.Abs(contributions[first]))
            {
                third = second;
                second = first;
                first = i;
            }
            else if (second < 0 || magnitude > Math.Abs(contributions[second]))
            {
                third = second;
                second = i;
            }
            else if (third < 0 || magnitude > Math.Abs(contributions[third]))
            {
                third = i;
            }
        }

        var count = (first >= 0 ? 1 : 0) + (second >= 0 ? 1 : 0) + (third >= 0 ? 1 : 0);
        ScoreReason[] reasons = count == 0 ? [] : new ScoreReason[Math.Min(count, MaxReasons)];
        if (first >= 0)
        {
            reasons[0] = Reason(first, contributions[first]);
        }

        if (second >= 0)
        {
            reasons[1] = Reason(second, contributions[second]);
        }

        if (third >= 0)
        {
            reasons[2] = Reason(third, contributions[third]);
        }

        return new Score(value, ScoreStates.Classify(f), reasons);
    }

    private ScoreReason Reason(int index, double contribution) =>
        new(_specs[index].Name, contribution, _specs[index].Description);
}
