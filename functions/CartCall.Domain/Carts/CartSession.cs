using System.Text.Json.Serialization;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Carts;

/// <summary>
/// Everything CartCall knows about one shopper's visit, built from storefront events.
/// </summary>
/// <remarks>
/// Storefront webhooks are retried and arrive out of order, so the state is a function of the
/// <em>set</em> of events, not of their arrival order: every derived value is either a commutative tally or
/// chosen by event time (ties broken by event id). Re-applying an event id is a no-op.
/// The event log is bounded (<see cref="MaxLoggedEvents"/>): once full, the oldest event is compacted into
/// running totals. From then on an event older than everything still logged is dropped as
/// <see cref="CartApplyOutcome.TooLate"/>, because it can no longer be told apart from a compacted duplicate;
/// order-independence is therefore exact up to <see cref="MaxLoggedEvents"/> events and best-effort beyond.
/// Persisted as JSON with System.Text.Json; derived state has private setters so only <see cref="Record"/>
/// changes it.
/// </remarks>
public sealed class CartSession
{
    public const int MaxLoggedEvents = 200;

    /// <summary>A pause longer than this between events counts as the shopper coming back (a revisit).</summary>
    public static readonly TimeSpan RevisitGap = TimeSpan.FromMinutes(30);

    private List<RecordedEvent> _events = [];

    [JsonInclude] public string MerchantId { get; private set; } = "";
    [JsonInclude] public string SessionId { get; private set; } = "";

    /// <summary>The shopper id from the latest event (by event time) that carried one.</summary>
    [JsonInclude] public string? ShopperId { get; private set; }
    [JsonInclude] public DateTimeOffset? ShopperIdSeenAt { get; private set; }
    [JsonInclude] public string? ShopperIdEventId { get; private set; }

    /// <summary>Recent events in event-time order, at most <see cref="MaxLoggedEvents"/>.</summary>
    [JsonInclude]
    public IReadOnlyList<RecordedEvent> Events
    {
        get => _events;
        private set
        {
            // Defensive on load: keep the invariants Record relies on even if stored JSON was hand-edited.
            var list = new List<RecordedEvent>(value ?? []);
            list.Sort(static (a, b) => RecordedEvent.Compare(a.OccurredAt, a.EventId, b.OccurredAt, b.EventId));
            if (list.Count > MaxLoggedEvents)
            {
                list.RemoveRange(0, list.Count - MaxLoggedEvents);
            }

            _events = list;
        }
    }

    /// <summary>The cart from the latest event (by event time) that carried one.</summary>
    [JsonInclude] public CartSnapshot? LatestCart { get; private set; }
    [JsonInclude] public DateTimeOffset? LatestCartAt { get; private set; }
    [JsonInclude] public string? LatestCartEventId { get; private set; }

    [JsonInclude] public int EventCount { get; private set; }
    [JsonInclude] public DateTimeOffset FirstSeenAt { get; private set; }
    [JsonInclude] public DateTimeOffset LastEventAt { get; private set; }
    [JsonInclude] public EventTypeCounts Counts { get; private set; } = new();

    /// <summary>Earliest checkout-stage event (checkout started, shipping viewed or payment failed).</summary>
    [JsonInclude] public DateTimeOffset? CheckoutStartedAt { get; private set; }
    [JsonInclude] public DateTimeOffset? OrderCompletedAt { get; private set; }

    // Totals carried over from events compacted out of the log.
    [JsonInclude] public double CompactedShippingDwellSeconds { get; private set; }
    [JsonInclude] public int CompactedRevisits { get; private set; }

    // Kept by the app as it proposes offers and shoppers dismiss them.
    public int OffersProposed { get; set; }
    public int OffersDismissed { get; set; }
    public DateTimeOffset? LastOfferAt { get; set; }

    /// <summary>When the first offer was decided (either arm): the session's entry into the experiment.</summary>
    public DateTimeOffset? FirstOfferAt { get; set; }

    public bool OrderCompleted => OrderCompletedAt is not null;

    public static CartSession Start(string merchantId, string sessionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(merchantId);
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        return new CartSession { MerchantId = merchantId, SessionId = sessionId };
    }

    /// <summary>Applies an event; false (and no change) when it was already applied or is too late to apply.</summary>
    public bool Apply(CartEvent e) => Record(e) == CartApplyOutcome.Applied;

    /// <summary>Like <see cref="Apply"/> but says why an event was not applied (for logs).</summary>
    /// <exception cref="ArgumentException">The event belongs to another session (a routing bug in the caller).</exception>
    public CartApplyOutcome Record(CartEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!string.Equals(e.SessionId, SessionId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Event for session '{e.SessionId}' applied to session '{SessionId}'.", nameof(e));
        }

        var at = e.OccurredAt.ToUniversalTime();
        var index = FindInsertionIndex(at, e.EventId, out var duplicate);
        if (duplicate)
        {
            return CartApplyOutcome.Duplicate;
        }

        if (_events.Count >= MaxLoggedEvents && index == 0)
        {
            return CartApplyOutcome.TooLate;
        }

        _events.Insert(index, new RecordedEvent(e.EventId, e.Type, at, e.Cart?.Total, e.Cart?.ItemCount));
        if (_events.Count > MaxLoggedEvents)
        {
            CompactOldest();
        }

        EventCount++;
        Counts.Increment(e.Type);
        if (EventCount == 1 || at < FirstSeenAt)
        {
            FirstSeenAt = at;
        }

        if (EventCount == 1 || at > LastEventAt)
        {
            LastEventAt = at;
        }

        if (e.Cart is not null && IsLater(at, e.EventId, LatestCartAt, LatestCartEventId))
        {
            // Stored bounded (a session is one 64 KB property): totals, units, margin and line count survive.
            LatestCart = CartLines.Bounded(e.Cart);
            LatestCartAt = at;
            LatestCartEventId = e.EventId;
        }

        if (!string.IsNullOrEmpty(e.ShopperId) && IsLater(at, e.EventId, ShopperIdSeenAt, ShopperIdEventId))
        {
            ShopperId = e.ShopperId;
            ShopperIdSeenAt = at;
            ShopperIdEventId = e.EventId;
        }

        if (e.Type is CartEventType.CheckoutStarted or CartEventType.ShippingViewed or CartEventType.PaymentFailed
            && (CheckoutStartedAt is null || at < CheckoutStartedAt))
        {
            CheckoutStartedAt = at;
        }

        if (e.Type == CartEventType.OrderCompleted && (OrderCompletedAt is null || at < OrderCompletedAt))
        {
            OrderCompletedAt = at;
        }

        return CartApplyOutcome.Applied;
    }

    /// <summary>Counts an offer the app has just proposed.</summary>
    public void RecordOfferProposed(DateTimeOffset at)
    {
        OffersProposed++;
        LastOfferAt = at;
        FirstOfferAt ??= at;
    }

    public void RecordOfferDismissed() => OffersDismissed++;

    /// <summary>
    /// The model's inputs at <paramref name="now"/>. Allocation-free apart from the result; called on every event.
    /// </summary>
    /// <param name="defaultMarginRate">Margin assumed for lines the storefront sent without a cost.</param>
    public SessionFeatures Features(DateTimeOffset now, decimal defaultMarginRate)
    {
        var cart = LatestCart;
        var dwell = CompactedShippingDwellSeconds;
        var revisits = CompactedRevisits;
        var gap = RevisitGap.TotalSeconds;
        for (var i = 0; i < _events.Count; i++)
        {
            var current = _events[i];
            var next = i + 1 < _events.Count ? _events[i + 1].OccurredAt : now;
            var seconds = Math.Max(0, (next - current.OccurredAt).TotalSeconds);
            if (current.Type == CartEventType.ShippingViewed)
            {
                // A long absence is a revisit, not time spent reading shipping costs.
                dwell += Math.Min(seconds, gap);
            }

            if (i + 1 < _events.Count && seconds > gap)
            {
                revisits++;
            }
        }

        var checkoutSeconds = CheckoutStartedAt is { } started
            ? Math.Max(0, ((OrderCompletedAt ?? now) - started).TotalSeconds)
            : 0;

        return new SessionFeatures(
            CartValue: cart?.Total ?? 0m,
            CartMargin: cart?.Margin(defaultMarginRate) ?? 0m,
            ItemCount: cart?.ItemCount ?? 0,
            DistinctItems: cart?.DistinctItems ?? 0,
            SecondsInCheckout: checkoutSeconds,
            ShippingDwellSeconds: dwell,
            PaymentFailures: Counts.PaymentFailed,
            CouponRejections: Counts.CouponRejected,
            Revisits: revisits,
            IdleSeconds: EventCount == 0 ? 0 : Math.Max(0, (now - LastEventAt).TotalSeconds),
            ItemsRemoved: Counts.ItemRemoved,
            CartViews: Counts.CartViewed,
            PageViews: Counts.PageViewed,
            ReachedCheckout: CheckoutStartedAt is not null,
            OrderCompleted: OrderCompleted);
    }

    private int FindInsertionIndex(DateTimeOffset at, string eventId, out bool duplicate)
    {
        duplicate = false;
        var index = _events.Count;
        // Scan from the end: events mostly arrive roughly in order, and ids must be checked across the whole log
        // because a retried event may carry a different timestamp.
        for (var i = _events.Count - 1; i >= 0; i--)
        {
            var existing = _events[i];
            if (string.Equals(existing.EventId, eventId, StringComparison.Ordinal))
            {
                duplicate = true;
                return i;
            }

            if (RecordedEvent.Compare(at, eventId, existing.OccurredAt, existing.EventId) < 0)
            {
                index = i;
            }
        }

        return index;
    }

    private void CompactOldest()
    {
        var oldest = _events[0];
        var next = _events[1];
        var seconds = Math.Max(0, (next.OccurredAt - oldest.OccurredAt).TotalSeconds);
        if (oldest.Type == CartEventType.ShippingViewed)
        {
            CompactedShippingDwellSeconds += Math.Min(seconds, RevisitGap.TotalSeconds);
        }

        if (seconds > RevisitGap.TotalSeconds)
        {
            CompactedRevisits++;
        }

        _events.RemoveAt(0);
    }

    private static bool IsLater(DateTimeOffset at, string eventId, DateTimeOffset? currentAt, string? currentId) =>
        currentAt is null || RecordedEvent.Compare(at, eventId, currentAt.Value, currentId ?? "") > 0;
}
