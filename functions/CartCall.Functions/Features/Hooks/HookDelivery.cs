using System.Text.Json.Serialization;
using CartCall.Domain.Hooks;

namespace CartCall.Functions.Features.Hooks;

public enum HookDeliveryStatus
{
    /// <summary>Recorded, not yet attempted (or reset for a replay).</summary>
    Pending,

    /// <summary>An attempt is under way.</summary>
    Running,

    /// <summary>The last attempt failed transiently; another is due.</summary>
    Retrying,

    /// <summary>The hook answered (the answer itself may be a veto).</summary>
    Succeeded,

    /// <summary>A dead letter: permanent failure, or the last attempt used. Listed for the merchant and replayable.</summary>
    Failed,
}

/// <summary>
/// One invocation of one hook for one occurrence of a lifecycle point, as kept in <c>hookdeliveries</c>
/// (PK = merchant, RK = idempotency key): every attempt updates the same row, so a retry or replay never adds one.
/// </summary>
public sealed class HookDelivery
{
    public string MerchantId { get; set; } = "";

    public string IdempotencyKey { get; set; } = "";

    public string HookId { get; set; } = "";

    public string Point { get; set; } = "";

    /// <summary>The call or offer id the invocation belongs to (links it to its call).</summary>
    public string OccurrenceId { get; set; } = "";

    public HookDeliveryStatus Status { get; set; }

    public int Attempts { get; set; }

    public int Replays { get; set; }

    /// <summary>The attempt count when the last replay was prepared: a replay gets the hook's full set of attempts again.</summary>
    public int AttemptsAtLastReplay { get; set; }

    public HookOutcomeKind? Outcome { get; set; }

    /// <summary>HTTP status, exit code, timeout… of the last attempt (see <see cref="HookAttemptResult.LastStatus"/>).</summary>
    public string? LastStatus { get; set; }

    public string? LastError { get; set; }

    /// <summary>The answer of a successful attempt, as JSON (so a duplicate activity returns it without calling again).</summary>
    public string? AnswerJson { get; set; }

    public double? LastLatencyMs { get; set; }

    public double? LastDispatchOverheadMs { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>The exact bytes sent (the CloudEvent JSON); a replay sends them again. Kept in its own columns.</summary>
    [JsonIgnore]
    public byte[] Payload { get; set; } = [];

    [JsonIgnore]
    public string? ETag { get; set; }
}

/// <summary>What an invocation record is created with on its first attempt.</summary>
public sealed record HookDeliveryStart(
    string MerchantId, string IdempotencyKey, string HookId, string Point, string OccurrenceId, ReadOnlyMemory<byte> Payload);

/// <summary>Filters for the merchant's list of deliveries (observability per merchant, call and hook).</summary>
public sealed record HookDeliveryQuery(HookDeliveryStatus? Status = null, string? HookId = null, string? OccurrenceId = null, int Max = 100);
