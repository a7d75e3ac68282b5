using CartCall.Domain.Carts;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>A session as loaded, with the version it must still have when it is saved.</summary>
/// <param name="ReevaluateAt">When the one pending re-evaluation is due (its message names the same time), or null.</param>
public sealed record LoadedSession(CartSession Session, string? ETag, DateTimeOffset? ReevaluateAt);

/// <summary>A save as it landed: the session's new version and the outbox rows written with it.</summary>
public sealed record SavedSession(string ETag, IReadOnlyList<OutboxEntry> Outbox);

/// <summary>A page of the sweeper's scan over every session's outbox rows.</summary>
public sealed record OutboxPage(IReadOnlyList<OutboxEntry> Entries, string? Continuation);

/// <summary>
/// Cart sessions, their decision log and their outbox. Saves are optimistic: a stale version throws
/// <see cref="SessionConflictException"/>.
/// </summary>
public interface ISessionStore
{
    Task<LoadedSession?> GetAsync(string merchantId, string sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Saves the session and, in the same transaction, the decision (if any) and the outbox rows (if any): all of them
    /// or none. An outbox row replaces a row of the same kind and key that was never dispatched.
    /// </summary>
    Task<SavedSession> SaveAsync(LoadedSession loaded, StoredDecision? decision, DateTimeOffset? reevaluateAt, IReadOnlyList<OutboxItem>? outbox, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredDecision>> ListDecisionsAsync(string merchantId, string sessionId, int max, CancellationToken cancellationToken);

    /// <summary>The session's outbox rows still waiting (a follow-up that was interrupted or failed).</summary>
    Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string merchantId, string sessionId, CancellationToken cancellationToken);

    /// <summary>Deletes a dispatched row unless it was replaced since it was read (then the newer row stays).</summary>
    Task DeleteOutboxAsync(OutboxEntry entry, CancellationToken cancellationToken);

    /// <summary>One page of outbox rows of every session written before <paramref name="writtenBefore"/>, from a continuation.</summary>
    Task<OutboxPage> ScanOutboxAsync(DateTimeOffset writtenBefore, string? continuation, CancellationToken cancellationToken);
}

/// <summary>Someone else saved the session first; reload and try again.</summary>
public sealed class SessionConflictException(string message) : ConcurrencyConflictException(message);
