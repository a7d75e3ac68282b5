namespace CartCall.Domain.Scoring;

/// <summary>How a raw feature becomes a model input. Documented per feature in Scoring/README.md.</summary>
public enum TransformKind
{
    /// <summary>ln(1 + x): diminishing returns for amounts and counts with long tails.</summary>
    Log1p,

    /// <summary>min(x / Scale, Cap): linear up to a saturation point (e.g. seconds → minutes, capped).</summary>
    CappedLinear,

    /// <summary>1 when x &gt; 0, else 0.</summary>
    Indicator,
}

/// <summary>One feature's transform and the text used when it is among a score's top reasons.</summary>
public sealed record FeatureSpec(string Name, TransformKind Transform, double Scale, double Cap, string Description)
{
    /// <summary>Largest raw value considered; keeps arbitrary (even infinite) inputs finite.</summary>
    public const double MaxRaw = 1e12;

    /// <summary>
    /// Applies the transform. Negative, NaN and infinite inputs are clamped into [0, <see cref="MaxRaw"/>] first,
    /// so the model's output is finite for any input.
    /// </summary>
    public double Apply(double raw)
    {
        var x = raw > 0 ? Math.Min(raw, MaxRaw) : 0; // NaN fails "> 0" and becomes 0
        return Transform switch
        {
            TransformKind.Log1p => Math.Log(1 + x),
            TransformKind.CappedLinear => Math.Min(x / Scale, Cap),
            TransformKind.Indicator => x > 0 ? 1 : 0,
            _ => 0,
        };
    }

    /// <summary>Human-readable transform, as in the README table.</summary>
    public string TransformText => Transform switch
    {
        TransformKind.Log1p => "log1p",
        TransformKind.CappedLinear when Scale == 60 => $"minutes, capped at {Cap:0.##}",
        TransformKind.CappedLinear when Scale == 1 => $"count, capped at {Cap:0.##}",
        TransformKind.CappedLinear => $"x/{Scale:0.##}, capped at {Cap:0.##}",
        TransformKind.Indicator => "0/1",
        _ => "?",
    };
}

/// <summary>The feature table, in <see cref="Feature"/> order.</summary>
public static class FeatureSpecs
{
    public static IReadOnlyList<FeatureSpec> All { get; } =
    [
        new(FeatureNames.CartValue, TransformKind.Log1p, 1, 0, "Value of the cart"),
        new(FeatureNames.CartMargin, TransformKind.Log1p, 1, 0, "Margin in the cart"),
        new(FeatureNames.ItemCount, TransformKind.Log1p, 1, 0, "Number of items in the cart"),
        new(FeatureNames.DistinctItems, TransformKind.Log1p, 1, 0, "Number of different products in the cart"),
        new(FeatureNames.SecondsInCheckout, TransformKind.CappedLinear, 60, 30, "Time spent in checkout"),
        new(FeatureNames.ShippingDwellSeconds, TransformKind.CappedLinear, 60, 10, "Time spent on the shipping step"),
        new(FeatureNames.PaymentFailures, TransformKind.CappedLinear, 1, 3, "Payment attempts failed"),
        new(FeatureNames.CouponRejections, TransformKind.CappedLinear, 1, 3, "Coupon codes rejected"),
        new(FeatureNames.Revisits, TransformKind.CappedLinear, 1, 5, "Came back after a break"),
        new(FeatureNames.IdleSeconds, TransformKind.CappedLinear, 60, 10, "No activity for a while"),
        new(FeatureNames.ItemsRemoved, TransformKind.CappedLinear, 1, 5, "Items removed from the cart"),
        new(FeatureNames.CartViews, TransformKind.CappedLinear, 1, 10, "Cart reviewed repeatedly"),
        new(FeatureNames.PageViews, TransformKind.Log1p, 1, 0, "Pages browsed"),
        new(FeatureNames.ReachedCheckout, TransformKind.Indicator, 1, 0, "Reached checkout"),
    ];
}
