namespace CartCall.Functions.Features.Offers;

/// <summary>The data of a <c>CartCall.OfferProposed</c> CloudEvent: everything the widget and agent need to show.</summary>
public sealed record OfferProposed(
    string OfferId,
    string MerchantId,
    string SessionId,
    string? ShopperId,
    DateTimeOffset ProposedAt,
    DateTimeOffset ExpiresAt,
    double Score,
    string State,
    IReadOnlyList<string> Reasons,
    decimal CartValue,
    string Currency,
    decimal ExpectedValue)
{
    public const string EventType = "CartCall.OfferProposed";

    public static string Source(string merchantId) => $"/merchants/{merchantId}";

    public static string Subject(string sessionId) => $"sessions/{sessionId}";
}
