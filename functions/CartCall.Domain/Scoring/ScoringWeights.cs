using System.Collections.ObjectModel;
using System.Globalization;

namespace CartCall.Domain.Scoring;

/// <summary>
/// Weights of the logistic model: score = σ(Intercept + Σ weight[f] × transform[f](feature f)).
/// Defaults, transforms and the reasoning behind them are in Scoring/README.md (a test keeps the two in step).
/// </summary>
/// <param name="Weights">Weight per <see cref="FeatureNames"/> entry; a missing feature weighs 0.</param>
public sealed record ScoringWeights(double Intercept, IReadOnlyDictionary<string, double> Weights)
{
    /// <summary>Overrides beyond this magnitude would let one feature decide alone; refused as a likely typo.</summary>
    public const double MaxAbsWeight = 20;

    /// <summary>
    /// Default model: refitted on the shopper simulator's behaviour model (Scoring/README.md, "Calibration"), so the
    /// score reads as the chance that a cart is abandoned.
    /// </summary>
    public static ScoringWeights Default { get; } = new(
        0.95,
        new ReadOnlyDictionary<string, double>(new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [FeatureNames.CartValue] = -0.01,
            [FeatureNames.CartMargin] = 0.00,
            [FeatureNames.ItemCount] = -0.12,
            [FeatureNames.DistinctItems] = -0.08,
            [FeatureNames.SecondsInCheckout] = -0.01,
            [FeatureNames.ShippingDwellSeconds] = 0.56,
            [FeatureNames.PaymentFailures] = -0.28,
            [FeatureNames.CouponRejections] = 0.09,
            [FeatureNames.Revisits] = -0.01,
            [FeatureNames.IdleSeconds] = 0.48,
            [FeatureNames.ItemsRemoved] = 0.94,
            [FeatureNames.CartViews] = 0.17,
            [FeatureNames.PageViews] = 0.06,
            [FeatureNames.ReachedCheckout] = -1.27,
        }));

    /// <summary>
    /// Checks merchant overrides: every key must be a feature name (or "intercept") and every value finite
    /// and within ±<see cref="MaxAbsWeight"/>. Empty list = acceptable.
    /// </summary>
    public static IReadOnlyList<string> Validate(IReadOnlyDictionary<string, double>? overrides)
    {
        var problems = new List<string>();
        if (overrides is null)
        {
            return problems;
        }

        foreach (var (name, weight) in overrides)
        {
            if (name != FeatureNames.Intercept && FeatureNames.IndexOf(name) < 0)
            {
                problems.Add($"'{name}' is not a scoring feature; known: {FeatureNames.Intercept}, {string.Join(", ", FeatureNames.All)}.");
            }
            else
            {
                CheckWeight(problems, name, weight);
            }
        }

        return problems;
    }

    /// <summary>Problems with this whole weight set (unknown names, non-finite or oversized values).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>(Validate(Weights));
        CheckWeight(problems, FeatureNames.Intercept, Intercept);
        return problems;
    }

    /// <summary>These weights with individual entries replaced by name ("intercept" replaces the intercept).</summary>
    /// <exception cref="ArgumentException">An override failed <see cref="Validate"/>.</exception>
    public ScoringWeights With(IReadOnlyDictionary<string, double>? overrides)
    {
        if (overrides is null || overrides.Count == 0)
        {
            return this;
        }

        var problems = Validate(overrides);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(overrides));
        }

        var intercept = Intercept;
        var weights = new Dictionary<string, double>(Weights, StringComparer.Ordinal);
        foreach (var (name, weight) in overrides)
        {
            if (name == FeatureNames.Intercept)
            {
                intercept = weight;
            }
            else
            {
                weights[name] = weight;
            }
        }

        return new ScoringWeights(intercept, new ReadOnlyDictionary<string, double>(weights));
    }

    /// <summary>The weight of a feature (0 when absent).</summary>
    public double WeightOf(string feature) => Weights.TryGetValue(feature, out var w) ? w : 0;

    public bool Equals(ScoringWeights? other)
    {
        if (other is null || Intercept.CompareTo(other.Intercept) != 0)
        {
            return false;
        }

        foreach (var name in FeatureNames.All)
        {
            if (WeightOf(name).CompareTo(other.WeightOf(name)) != 0)
            {
                return false;
            }
        }

        return Weights.Count == other.Weights.Count;
    }

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Intercept);
        foreach (var name in FeatureNames.All)
        {
            hash.Add(WeightOf(name));
        }

        return hash.ToHashCode();
    }

    private static void CheckWeight(List<string> problems, string name, double weight)
    {
        if (!double.IsFinite(weight))
        {
            problems.Add($"Weight for '{name}' must be a finite number.");
        }
        else if (Math.Abs(weight) > MaxAbsWeight)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Weight for '{name}' is {weight}; it must be between -{MaxAbsWeight} and {MaxAbsWeight}."));
        }
    }
}
