using System.Text.Json.Serialization;

namespace CartCall.Functions.Features.Sessions;

/// <summary>What kind of follow-up an outbox row asks for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutboxKind>))]
public enum OutboxKind
{
    /// <summary>Send the session's next re-evaluation message (due at the time it names).</summary>
    Reevaluate,

    /// <summary>Publish a decided offer to Event Grid.</summary>
    Offer,

    /// <summary>Write the session's row in the experiment (its entry at the first decision to offer, or its order).</summary>
    Experiment,

    /// <summary>Record how the session ended, for learning (one labelled session per finished session).</summary>
    Outcome,
}

/// <summary>
/// A follow-up a session save must not lose: written as a row of the session's own partition in the same
/// entity-group transaction as the session and its decision, so it exists exactly when the state that asks for it
/// does. Every follow-up is idempotent (re-evaluations match their due time, offers are stored once by id,
/// experiment and outcome rows are upserts), so dispatching a row twice is harmless and losing one is impossible:
/// the row is deleted only after its follow-up succeeded.
/// </summary>
/// <param name="Key">Distinguishes rows of one kind in a session (an offer id; "next" for the one pending re-evaluation).</param>
/// <param name="Payload">The follow-up's data as JSON (its shape is the kind's handler's business).</param>
public sealed record OutboxItem(OutboxKind Kind, string Key, string Payload);

/// <summary>An outbox row as stored, with the version its delete must still match.</summary>
public sealed record OutboxEntry(string MerchantId, string SessionId, OutboxItem Item, DateTimeOffset CreatedAt, string ETag);

/// <summary>What became of one dispatched outbox row.</summary>
public enum OutboxResult
{
    /// <summary>The follow-up happened: the row is deleted.</summary>
    Done,

    /// <summary>A dependency failed: the row stays for the drain function and the sweeper.</summary>
    Retry,

    /// <summary>Nothing can ever be done with it (malformed, or an offer that has expired): deleted with a warning.</summary>
    Drop,
}

/// <summary>Carries out one kind of outbox row. Each kind has one handler, registered by the feature that owns it.</summary>
public interface IOutboxHandler
{
    OutboxKind Kind { get; }

    Task<OutboxResult> HandleAsync(OutboxEntry entry, CancellationToken cancellationToken);
}

/// <summary>The outbox payload of a decided offer: the offer and the trace context it was decided in.</summary>
public sealed record OfferFollowUp(Offers.OfferProposed Offer, string? TraceParent);

/// <summary>
/// The outbox payload of a change to the session's experiment row: its entry (the first decision to offer, in either
/// arm) or its order. Only the fields it carries are written, so entries and orders merge in any order.
/// </summary>
public sealed record ExperimentFollowUp(
    DateTimeOffset EnteredAt,
    Domain.Experiments.ExperimentArm? Arm,
    DateTimeOffset? OrderCompletedAt,
    decimal? OrderValue,
    decimal? OrderMargin)
{
    public const string EntryKey = "entry";
    public const string OrderKey = "order";
}

/// <summary>The outbox payload of a finished session: its outcome is recorded for learning.</summary>
/// <param name="StartedAt">The session's first event: its outcome row lives in that month's partition.</param>
public sealed record OutcomeFollowUp(DateTimeOffset FinishedAt, bool Completed, DateTimeOffset? StartedAt = null)
{
    public const string Key = "final";
}
