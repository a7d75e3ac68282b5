namespace CartCall.Domain.Scoring;

/// <summary>The scoring model's raw inputs, derived from a cart session at one instant.</summary>
/// <param name="CartValue">Total of the latest cart.</param>
/// <param name="CartMargin">Gross margin of the latest cart (costs, or the merchant's default margin rate).</param>
/// <param name="ItemCount">Units in the latest cart.</param>
/// <param name="DistinctItems">Lines in the latest cart.</param>
/// <param name="SecondsInCheckout">Since the first checkout-stage event, until now or until the order completed.</param>
/// <param name="ShippingDwellSeconds">Time spent on the shipping step (each visit capped at the revisit gap).</param>
/// <param name="Revisits">Gaps longer than 30 minutes between consecutive events.</param>
/// <param name="IdleSeconds">Now minus the last event.</param>
/// <param name="OrderCompleted">Not a model input: the order went through, so there is nothing left to save.</param>
public sealed record SessionFeatures(
    decimal CartValue,
    decimal CartMargin,
    int ItemCount,
    int DistinctItems,
    double SecondsInCheckout,
    double ShippingDwellSeconds,
    int PaymentFailures,
    int CouponRejections,
    int Revisits,
    double IdleSeconds,
    int ItemsRemoved,
    int CartViews,
    int PageViews,
    bool ReachedCheckout,
    bool OrderCompleted = false)
{
    /// <summary>A session with nothing in it.</summary>
    public static SessionFeatures None { get; } = new(0m, 0m, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false);

    /// <summary>The raw (untransformed) inputs keyed by <see cref="FeatureNames"/>; for explanations and admin views.</summary>
    public IReadOnlyDictionary<string, double> AsVector()
    {
        var vector = new Dictionary<string, double>(FeatureNames.All.Count, StringComparer.Ordinal);
        for (var i = 0; i < FeatureNames.All.Count; i++)
        {
            vector[FeatureNames.All[i]] = Raw((Feature)i);
        }

        return vector;
    }

    /// <summary>The raw value of one feature, as a double (no allocation; used by the scorer).</summary>
    internal double Raw(Feature feature) => feature switch
    {
        Feature.CartValue => (double)CartValue,
        Feature.CartMargin => (double)CartMargin,
        Feature.ItemCount => ItemCount,
        Feature.DistinctItems => DistinctItems,
        Feature.SecondsInCheckout => SecondsInCheckout,
        Feature.ShippingDwellSeconds => ShippingDwellSeconds,
        Feature.PaymentFailures => PaymentFailures,
        Feature.CouponRejections => CouponRejections,
        Feature.Revisits => Revisits,
        Feature.IdleSeconds => IdleSeconds,
        Feature.ItemsRemoved => ItemsRemoved,
        Feature.CartViews => CartViews,
        Feature.PageViews => PageViews,
        Feature.ReachedCheckout => ReachedCheckout ? 1 : 0,
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, null),
    };
}

/// <summary>Model features in a fixed order (the index into weight arrays).</summary>
internal enum Feature
{
    CartValue,
    CartMargin,
    ItemCount,
    DistinctItems,
    SecondsInCheckout,
    ShippingDwellSeconds,
    PaymentFailures,
    CouponRejections,
    Revisits,
    IdleSeconds,
    ItemsRemoved,
    CartViews,
    PageViews,
    ReachedCheckout,
}

/// <summary>The names merchants use to override weights, and the keys of <see cref="SessionFeatures.AsVector"/>.</summary>
public static class FeatureNames
{
    public const string CartValue = "cart_value";
    public const string CartMargin = "cart_margin";
    public const string ItemCount = "item_count";
    public const string DistinctItems = "distinct_items";
    public const string SecondsInCheckout = "seconds_in_checkout";
    public const string ShippingDwellSeconds = "shipping_dwell_seconds";
    public const string PaymentFailures = "payment_failures";
    public const string CouponRejections = "coupon_rejections";
    public const string Revisits = "revisits";
    public const string IdleSeconds = "idle_seconds";
    public const string ItemsRemoved = "items_removed";
    public const string CartViews = "cart_views";
    public const string PageViews = "page_views";
    public const string ReachedCheckout = "reached_checkout";

    /// <summary>The name an override uses for the model's bias term.</summary>
    public const string Intercept = "intercept";

    /// <summary>Feature names in <see cref="Feature"/> order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        CartValue, CartMargin, ItemCount, DistinctItems, SecondsInCheckout, ShippingDwellSeconds, PaymentFailures,
        CouponRejections, Revisits, IdleSeconds, ItemsRemoved, CartViews, PageViews, ReachedCheckout,
    ];

    internal static int IndexOf(string name)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (string.Equals(All[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
