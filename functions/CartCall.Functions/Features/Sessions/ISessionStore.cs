using CartCall.Domain.Carts;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>A session as loaded, with the version it must still have when it is saved.</summary>
public sealed record LoadedSession(CartSession Session, string? ETag, DateTimeOffset? ReevaluateAt);

/// <summary>Cart sessions and their decision log. Saves are optimistic: a stale version throws <see cref="SessionConflictException"/>.</summary>
public interface ISessionStore
{
    Task<LoadedSession?> GetAsync(string merchantId, string sessionId, CancellationToken cancellationToken);

    /// <summary>Saves the session and, atomically with it, the decision (if any). Returns the new version.</summary>
    Task<string> SaveAsync(LoadedSession loaded, StoredDecision? decision, DateTimeOffset? reevaluateAt, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredDecision>> ListDecisionsAsync(string merchantId, string sessionId, int max, CancellationToken cancellationToken);
}

/// <summary>Someone else saved the session first; reload and try again.</summary>
public sealed class SessionConflictException(string message) : ConcurrencyConflictException(message);
