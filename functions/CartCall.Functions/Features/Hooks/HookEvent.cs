using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// The data of the event a hook receives: whatever of merchant, session, cart, score, offer, call and charge exists
/// at its lifecycle point. Webhooks get it inside a CloudEvent; processes get the same CloudEvent on stdin.
/// </summary>
public sealed record HookEventData
{
    public required string Point { get; init; }

    public required string MerchantId { get; init; }

    public string? SessionId { get; init; }

    public string? ShopperId { get; init; }

    public HookCart? Cart { get; init; }

    public HookScore? Score { get; init; }

    public HookOffer? Offer { get; init; }

    public HookCall? Call { get; init; }

    public HookCharge? Charge { get; init; }
}

public sealed record HookCart(string Currency, decimal Value, IReadOnlyList<HookCartItem> Items);

public sealed record HookCartItem(string Sku, string? Title, int Quantity, decimal UnitPrice);

public sealed record HookScore(double Value, string? State, IReadOnlyList<string> Reasons);

public sealed record HookOffer(string OfferId, DateTimeOffset ProposedAt, DateTimeOffset ExpiresAt, decimal ExpectedValue);

/// <param name="Mode">voip or pstn.</param>
public sealed record HookCall(
    string CallId, string Mode, string Status, DateTimeOffset? ConnectedAt = null, DateTimeOffset? EndedAt = null,
    string? Outcome = null, string? AgentId = null, double? DurationSeconds = null);

/// <param name="ChargeId">The payment provider's id of the payment: Stripe's PaymentIntent id (<c>pi_…</c>).</param>
/// <param name="Amount">What was captured, in major units of <paramref name="Currency"/> (5.00 USD).</param>
/// <param name="AmountMinor">The same in integer minor units (500), as billing and the ledger keep money.</param>
public sealed record HookCharge(string ChargeId, decimal Amount, string Currency, long? AmountMinor = null);

/// <summary>
/// Builds the event in the CloudEvents JSON format (structured content mode of the HTTP binding). Its
/// <c>id</c> is the invocation's idempotency key, so every retry and replay sends byte-identical content.
/// </summary>
public static class HookCloudEvent
{
    public const string ContentType = "application/cloudevents+json";

    public static string Type(string point) => "CartCall.Hook." + point;

    public static string Source(string merchantId) => $"/merchants/{merchantId}";

    /// <param name="occurredAt">When the lifecycle point happened (not when this attempt is made).</param>
    public static byte[] Serialize(string idempotencyKey, HookEventData data, DateTimeOffset occurredAt)
    {
        ArgumentNullException.ThrowIfNull(data);
        var envelope = new Envelope(
            "1.0", idempotencyKey, Source(data.MerchantId), Type(data.Point), Subject(data), occurredAt, "application/json", data);
        return JsonSerializer.SerializeToUtf8Bytes(envelope, HookJson.Options);
    }

    private static string? Subject(HookEventData data) =>
        data.Call is { } call ? $"calls/{call.CallId}"
        : data.Offer is { } offer ? $"offers/{offer.OfferId}"
        : data.SessionId is { } session ? $"sessions/{session}"
        : null;

    private sealed record Envelope(
        [property: JsonPropertyName("specversion")] string SpecVersion,
        [property: JsonPropertyName("id")] string Id,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("subject")] string? Subject,
        [property: JsonPropertyName("time")] DateTimeOffset Time,
        [property: JsonPropertyName("datacontenttype")] string DataContentType,
        [property: JsonPropertyName("data")] HookEventData Data);
}
