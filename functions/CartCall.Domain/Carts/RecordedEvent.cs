namespace CartCall.Domain.Carts;

/// <summary>An event as a session remembers it: enough to reconstruct timing features, not the whole cart.</summary>
/// <param name="OccurredAt">Storefront time, normalised to UTC so equal instants serialise identically.</param>
public sealed record RecordedEvent(
    string EventId,
    CartEventType Type,
    DateTimeOffset OccurredAt,
    decimal? CartTotal,
    int? ItemCount)
{
    /// <summary>Total order of events: by time, then by id so simultaneous events still sort the same way everywhere.</summary>
    internal static int Compare(DateTimeOffset at1, string id1, DateTimeOffset at2, string id2)
    {
        var byTime = at1.UtcTicks.CompareTo(at2.UtcTicks);
        return byTime != 0 ? byTime : string.CompareOrdinal(id1, id2);
    }
}

/// <summary>What <see cref="CartSession.Record"/> did with an event.</summary>
public enum CartApplyOutcome
{
    Applied,

    /// <summary>The event id was already applied (a retried delivery).</summary>
    Duplicate,

    /// <summary>
    /// The log is full and the event is older than everything still in it, so it can no longer be told apart
    /// from an already-compacted duplicate; it is dropped.
    /// </summary>
    TooLate,
}

/// <summary>Per-type tallies over every applied event (they survive log compaction).</summary>
public sealed class EventTypeCounts
{
    public int PageViewed { get; set; }
    public int ItemAdded { get; set; }
    public int ItemRemoved { get; set; }
    public int CartViewed { get; set; }
    public int CheckoutStarted { get; set; }
    public int ShippingViewed { get; set; }
    public int PaymentFailed { get; set; }
    public int CouponRejected { get; set; }
    public int OrderCompleted { get; set; }

    public int this[CartEventType type] => type switch
    {
        CartEventType.PageViewed => PageViewed,
        CartEventType.ItemAdded => ItemAdded,
        CartEventType.ItemRemoved => ItemRemoved,
        CartEventType.CartViewed => CartViewed,
        CartEventType.CheckoutStarted => CheckoutStarted,
        CartEventType.ShippingViewed => ShippingViewed,
        CartEventType.PaymentFailed => PaymentFailed,
        CartEventType.CouponRejected => CouponRejected,
        CartEventType.OrderCompleted => OrderCompleted,
        _ => 0,
    };

    internal void Increment(CartEventType type)
    {
        switch (type)
        {
            case CartEventType.PageViewed: PageViewed++; break;
            case CartEventType.ItemAdded: ItemAdded++; break;
            case CartEventType.ItemRemoved: ItemRemoved++; break;
            case CartEventType.CartViewed: CartViewed++; break;
            case CartEventType.CheckoutStarted: CheckoutStarted++; break;
            case CartEventType.ShippingViewed: ShippingViewed++; break;
            case CartEventType.PaymentFailed: PaymentFailed++; break;
            case CartEventType.CouponRejected: CouponRejected++; break;
            case CartEventType.OrderCompleted: OrderCompleted++; break;
        }
    }
}
