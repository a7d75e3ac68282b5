using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace CartCall.Domain.Carts;

/// <summary>What the shopper did. Serialised with the storefront's snake_case wire names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CartEventType>))]
public enum CartEventType
{
    [JsonStringEnumMemberName("page_viewed")] PageViewed,
    [JsonStringEnumMemberName("item_added")] ItemAdded,
    [JsonStringEnumMemberName("item_removed")] ItemRemoved,
    [JsonStringEnumMemberName("cart_viewed")] CartViewed,
    [JsonStringEnumMemberName("checkout_started")] CheckoutStarted,
    [JsonStringEnumMemberName("shipping_viewed")] ShippingViewed,
    [JsonStringEnumMemberName("payment_failed")] PaymentFailed,
    [JsonStringEnumMemberName("coupon_rejected")] CouponRejected,
    [JsonStringEnumMemberName("order_completed")] OrderCompleted,
}

/// <summary>Maps between <see cref="CartEventType"/> and the storefront's wire names.</summary>
public static class CartEventTypes
{
    // Indexed by the enum's value; kept in step with the JsonStringEnumMemberName attributes above
    // (a test checks both agree).
    private static readonly string[] WireNames =
    [
        "page_viewed", "item_added", "item_removed", "cart_viewed", "checkout_started",
        "shipping_viewed", "payment_failed", "coupon_rejected", "order_completed",
    ];

    /// <summary>All wire names, in enum order (for error messages and docs).</summary>
    public static IReadOnlyList<string> AllWireNames => WireNames;

    /// <summary>
    /// Parses a wire name (case-insensitive). Unlike <see cref="Enum.TryParse{TEnum}(string, out TEnum)"/>
    /// it never accepts numbers or C# member names, so only the documented vocabulary gets in.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? wire, out CartEventType type)
    {
        if (wire is not null)
        {
            for (var i = 0; i < WireNames.Length; i++)
            {
                if (string.Equals(WireNames[i], wire, StringComparison.OrdinalIgnoreCase))
                {
                    type = (CartEventType)i;
                    return true;
                }
            }
        }

        type = default;
        return false;
    }

    public static string ToWire(CartEventType type)
    {
        var i = (int)type;
        return (uint)i < (uint)WireNames.Length
            ? WireNames[i]
            : throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown cart event type.");
    }

    public static bool IsDefined(CartEventType type) => (uint)(int)type < (uint)WireNames.Length;
}
