using System.Text.Json;
using CartCall.Domain.Carts;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Carts;

public class CartSessionTests
{
    [Fact]
    public void Apply_SameEventTwice_ReturnsFalseAndKeepsState()
    {
        var session = CartSession.Start("m", Session);
        var e = Event("e1", CartEventType.ItemAdded, 0, Cart(("a", 1, 5m, null)));

        Assert.True(session.Apply(e));
        var before = Json(session);
        Assert.False(session.Apply(e));
        Assert.Equal(CartApplyOutcome.Duplicate, session.Record(e));
        Assert.Equal(before, Json(session));
        Assert.Equal(1, session.EventCount);
    }

    [Fact]
    public void Apply_RetryWithDifferentTimestamp_IsStillADuplicate()
    {
        var session = SessionOf([Event("e1", CartEventType.PageViewed, 0)]);
        Assert.False(session.Apply(Event("e1", CartEventType.PageViewed, 999)));
        Assert.Equal(1, session.EventCount);
    }

    [Fact]
    public void Apply_OutOfOrderEvents_YieldsSameStateAsInOrder()
    {
        var events = TypicalCheckout();
        var inOrder = SessionOf(events);
        var reversed = SessionOf(events.Reverse());

        Assert.Equal(Json(inOrder), Json(reversed));
        Assert.Equal(inOrder.Features(T0.AddMinutes(10), 0.3m), reversed.Features(T0.AddMinutes(10), 0.3m));
    }

    [Fact]
    public void Apply_OlderCartArrivingLate_DoesNotReplaceNewerCart()
    {
        var newer = Cart(("a", 2, 5m, null));
        var older = Cart(("a", 1, 5m, null));
        var session = SessionOf([Event("e2", CartEventType.ItemAdded, 60, newer), Event("e1", CartEventType.ItemAdded, 0, older)]);

        Assert.Equal(newer, session.LatestCart);
        Assert.Equal(["e1", "e2"], session.Events.Select(e => e.EventId));
        Assert.Equal(T0, session.FirstSeenAt);
        Assert.Equal(T0.AddSeconds(60), session.LastEventAt);
    }

    [Fact]
    public void Apply_SimultaneousEvents_BreaksTieByEventId()
    {
        var cartA = Cart(("a", 1, 5m, null));
        var cartB = Cart(("b", 1, 7m, null));
        var one = SessionOf([Event("x1", CartEventType.ItemAdded, 0, cartA), Event("x2", CartEventType.ItemAdded, 0, cartB)]);
        var two = SessionOf([Event("x2", CartEventType.ItemAdded, 0, cartB), Event("x1", CartEventType.ItemAdded, 0, cartA)]);

        Assert.Equal(cartB, one.LatestCart);
        Assert.Equal(Json(one), Json(two));
    }

    [Fact]
    public void Apply_EventForAnotherSession_Throws()
    {
        var session = CartSession.Start("m", Session);
        Assert.Throws<ArgumentException>(() => session.Apply(Event("e1", CartEventType.PageViewed, T0, session: "other")));
    }

    [Fact]
    public void Apply_ShopperIdFromLatestEventCarryingOne_Wins()
    {
        var session = SessionOf(
        [
            Event("e3", CartEventType.PageViewed, 120),
            Event("e2", CartEventType.PageViewed, 60, shopper: "logged-in"),
            Event("e1", CartEventType.PageViewed, 0, shopper: "guest"),
        ]);
        Assert.Equal("logged-in", session.ShopperId);
    }

    [Fact]
    public void Apply_BeyondLogCapacity_CompactsOldestButKeepsTotals()
    {
        var session = CartSession.Start("m", Session);
        const int total = CartSession.MaxLoggedEvents + 50;
        for (var i = 0; i < total; i++)
        {
            // Every 10th event is a shipping view followed by 20 s; one long break after event 5.
            var type = i % 10 == 0 ? CartEventType.ShippingViewed : CartEventType.PageViewed;
            var at = i * 20 + (i > 5 ? 3600 : 0);
            Assert.True(session.Apply(Event($"e{i:D4}", type, at)));
        }

        var f = session.Features(T0.AddSeconds((total * 20) + 3600), 0.3m);
        Assert.Equal(CartSession.MaxLoggedEvents, session.Events.Count);
        Assert.Equal(total, session.EventCount);
        Assert.Equal(total / 10, session.Counts.ShippingViewed);
        Assert.Equal(1, f.Revisits); // the break happened among compacted events
        Assert.Equal(total / 10 * 20.0, f.ShippingDwellSeconds, 6);
        Assert.Equal(total - (total / 10), f.PageViews);
    }

    [Fact]
    public void Apply_DuplicateOfCompactedEvent_IsDroppedAsTooLate()
    {
        var events = Enumerable.Range(0, CartSession.MaxLoggedEvents + 1)
            .Select(i => Event($"e{i:D4}", CartEventType.PageViewed, i)).ToList();
        var session = SessionOf(events);
        var before = Json(session);

        Assert.Equal(CartApplyOutcome.TooLate, session.Record(events[0]));
        Assert.Equal(before, Json(session));
    }

    [Fact]
    public void Features_OrderCompleted_StopsCheckoutClockAtOrder()
    {
        var session = SessionOf(
        [
            Event("e1", CartEventType.CheckoutStarted, 0, Cart(("a", 1, 50m, null))),
            Event("e2", CartEventType.OrderCompleted, 300),
        ]);

        var f = session.Features(T0.AddHours(2), 0.3m);
        Assert.True(session.OrderCompleted);
        Assert.True(f.OrderCompleted);
        Assert.Equal(300, f.SecondsInCheckout);
    }

    [Fact]
    public void Features_GapOverThirtyMinutes_CountsRevisit()
    {
        var session = SessionOf(
        [
            Event("e1", CartEventType.PageViewed, 0),
            Event("e2", CartEventType.PageViewed, 29 * 60),
            Event("e3", CartEventType.PageViewed, (29 * 60) + (31 * 60)),
        ]);
        Assert.Equal(1, session.Features(T0.AddHours(1), 0.3m).Revisits);
    }

    [Fact]
    public void Features_ShippingDwell_IsTimeToNextEventOrNowCappedAtRevisitGap()
    {
        var session = SessionOf(
        [
            Event("e1", CartEventType.ShippingViewed, 0),
            Event("e2", CartEventType.PageViewed, 90),
            Event("e3", CartEventType.ShippingViewed, 100),
        ]);

        Assert.Equal(90 + 50, session.Features(T0.AddSeconds(150), 0.3m).ShippingDwellSeconds, 6);
        Assert.Equal(90 + (30 * 60), session.Features(T0.AddHours(5), 0.3m).ShippingDwellSeconds, 6);
    }

    [Fact]
    public void Features_TypicalCheckout_DerivesCartAndBehaviour()
    {
        var session = SessionOf(TypicalCheckout());
        var now = T0.AddSeconds(470 + 45);
        var f = session.Features(now, 0.25m);

        Assert.Equal(114m, f.CartValue);
        Assert.Equal(15m + 22.25m, f.CartMargin); // mug (12.5-5)×2, kettle 89×0.25
        Assert.Equal(3, f.ItemCount);
        Assert.Equal(2, f.DistinctItems);
        Assert.Equal(515 - 300, f.SecondsInCheckout, 6);
        Assert.Equal(110, f.ShippingDwellSeconds, 6);
        Assert.Equal(1, f.CouponRejections);
        Assert.Equal(2, f.CartViews);
        Assert.Equal(3, f.PageViews);
        Assert.Equal(45, f.IdleSeconds, 6);
        Assert.True(f.ReachedCheckout);
        Assert.Equal(0, f.Revisits);
    }

    [Fact]
    public void Features_ShippingViewWithoutCheckoutStarted_StillCountsAsCheckout()
    {
        var session = SessionOf([Event("e1", CartEventType.ShippingViewed, 0)]);
        Assert.True(session.Features(T0.AddMinutes(1), 0.3m).ReachedCheckout);
    }

    [Fact]
    public void Json_RoundTrip_PreservesStateAndKeepsApplyingTheSame()
    {
        var session = SessionOf(TypicalCheckout());
        session.RecordOfferProposed(T0.AddMinutes(6));
        session.RecordOfferDismissed();

        var copy = JsonSerializer.Deserialize<CartSession>(Json(session))!;

        Assert.Equal(Json(session), Json(copy));
        Assert.Equal(session.Features(T0.AddMinutes(9), 0.3m), copy.Features(T0.AddMinutes(9), 0.3m));
        Assert.Equal(1, copy.OffersProposed);
        Assert.Equal(1, copy.OffersDismissed);
        var next = Event("e11", CartEventType.PaymentFailed, 600);
        Assert.False(copy.Apply(TypicalCheckout()[0]));
        Assert.True(copy.Apply(next) & session.Apply(next));
        Assert.Equal(Json(session), Json(copy));
    }

    [Fact]
    public void Json_EventTypes_UseWireNames()
    {
        var json = Json(SessionOf([Event("e1", CartEventType.CheckoutStarted, 0)]));
        Assert.Contains("\"checkout_started\"", json, StringComparison.Ordinal);
    }
}
