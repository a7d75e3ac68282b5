using Azure.Messaging;
using CartCall.Functions.Hosting;

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

    /// <summary>The CloudEvent for the topic: the offer id is the event id, so a repeated publish is stored once.</summary>
    public CloudEvent ToCloudEvent() =>
        new(Source(MerchantId), EventType, BinaryData.FromObjectAsJson(this, AppJson.Options), "application/json")
        {
            Id = OfferId,
            Subject = Subject(SessionId),
            Time = ProposedAt,
        };
}
