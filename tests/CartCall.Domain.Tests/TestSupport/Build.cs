using System.Text.Json;
using CartCall.Domain.Carts;

namespace CartCall.Domain.Tests.TestSupport;

/// <summary>Small builders so tests read as the scenario they describe.</summary>
internal static class Build
{
    /// <summary>A Monday morning, UTC.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    public const string Session = "sess-1";

    public static CartEvent Event(string id, CartEventType type, DateTimeOffset at, CartSnapshot? cart = null,
        string? shopper = null, string session = Session) =>
        new(id, session, shopper, at, type, cart, "https://shop.example/p");

    public static CartEvent Event(string id, CartEventType type, double secondsAfterT0, CartSnapshot? cart = null,
        string? shopper = null) =>
        Event(id, type, T0.AddSeconds(secondsAfterT0), cart, shopper);

    public static CartSnapshot Cart(params (string Sku, int Qty, decimal Price, decimal? Cost)[] lines) =>
        new("EUR", [.. lines.Select(l => new LineItem(l.Sku, l.Sku.ToUpperInvariant(), l.Qty, l.Price, l.Cost))]);

    public static CartSession SessionOf(IEnumerable<CartEvent> events)
    {
        var session = CartSession.Start("merchant-1", Session);
        foreach (var e in events)
        {
            session.Apply(e);
        }

        return session;
    }

    public static string Json(CartSession session) => JsonSerializer.Serialize(session);

    /// <summary>A typical hesitant checkout: browsing, two products, a rejected coupon, a while on shipping.</summary>
    public static IReadOnlyList<CartEvent> TypicalCheckout()
    {
        var one = Cart(("mug", 2, 12.50m, 5m));
        var two = Cart(("mug", 2, 12.50m, 5m), ("kettle", 1, 89.00m, null));
        return
        [
            Event("e1", CartEventType.PageViewed, 0),
            Event("e2", CartEventType.PageViewed, 40),
            Event("e3", CartEventType.ItemAdded, 95, one),
            Event("e4", CartEventType.PageViewed, 130, one),
            Event("e5", CartEventType.ItemAdded, 200, two),
            Event("e6", CartEventType.CartViewed, 230, two),
            Event("e7", CartEventType.CouponRejected, 260, two),
            Event("e8", CartEventType.CheckoutStarted, 300, two),
            Event("e9", CartEventType.ShippingViewed, 360, two),
            Event("e10", CartEventType.CartViewed, 470, two),
        ];
    }
}
