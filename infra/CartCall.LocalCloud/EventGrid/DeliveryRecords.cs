using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>How one delivery attempt ended.</summary>
public enum DeliveryOutcome
{
    /// <summary>The subscriber answered 200-204.</summary>
    Delivered,

    /// <summary>The subscriber answered with another status code.</summary>
    Failed,

    /// <summary>No answer within the response timeout.</summary>
    TimedOut,

    /// <summary>The connection could not be made or broke.</summary>
    ConnectionFailed,
}

/// <summary>One attempt to push one event to one subscription (every attempt is kept: delivery is at-least-once).</summary>
/// <param name="Attempt">1 for the first attempt; the <c>aeg-delivery-count</c> header carries <c>Attempt - 1</c>.</param>
public sealed record DeliveryRecord(
    string SubscriptionName,
    string EventId,
    string EventType,
    int Attempt,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    DeliveryOutcome Outcome,
    string? Error);

/// <summary>Why an event was given up on for a subscription.</summary>
public static class DeadLetterReasons
{
    /// <summary>The subscriber answered 400, 401, 403 or 413, which the real service never retries.</summary>
    public const string NonRetriableStatusCode = "NonRetriableStatusCode";

    public const string MaxDeliveryAttemptsExceeded = "MaxDeliveryAttemptsExceeded";
    public const string TimeToLiveExceeded = "TimeToLiveExceeded";

    /// <summary>The subscription's validation handshake was refused, so it receives nothing.</summary>
    public const string SubscriptionNotValidated = "SubscriptionNotValidated";

    /// <summary>A CloudEvent cannot be delivered in Event Grid schema (the real service does not convert that way).</summary>
    public const string SchemaMismatch = "SchemaMismatch";

    /// <summary>The stand-in's delivery queue was full or it was shutting down.</summary>
    public const string NotQueued = "NotQueued";
}

/// <summary>An event the stand-in gave up delivering to one subscription.</summary>
public sealed record DeadLetter(
    string SubscriptionName,
    string EventId,
    string EventType,
    string Reason,
    string Detail,
    int DeliveryAttempts,
    int? LastHttpStatusCode,
    DateTimeOffset PublishedAt,
    DateTimeOffset DeadLetteredAt,
    JsonObject Event);

/// <summary>Handshake state of a subscription.</summary>
public enum SubscriptionValidationState
{
    /// <summary>Not tried yet, or the endpoint could not be reached (tried again before the next delivery).</summary>
    Pending,
    Validated,

    /// <summary>The endpoint answered but refused; final, as on the real service (recreate the subscription).</summary>
    Refused,
}

public sealed record SubscriptionStatus(
    string Name,
    Uri Endpoint,
    EventDeliverySchema Schema,
    SubscriptionValidationState State,
    string? Detail);
