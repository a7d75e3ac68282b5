namespace CartCall.Domain.Carts;

/// <summary>One thing a shopper did, as reported by the storefront.</summary>
/// <param name="EventId">The storefront's id for the event; used to drop retried deliveries.</param>
/// <param name="OccurredAt">When it happened at the storefront; sessions order events by this, not by arrival.</param>
/// <param name="Cart">The cart after the event, when the storefront sends it.</param>
public sealed record CartEvent(
    string EventId,
    string SessionId,
    string? ShopperId,
    DateTimeOffset OccurredAt,
    CartEventType Type,
    CartSnapshot? Cart,
    string? PageUrl);
