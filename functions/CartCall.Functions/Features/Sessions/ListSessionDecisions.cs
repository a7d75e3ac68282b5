namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// <c>GET /api/merchants/{merchantId}/sessions/{sessionId}/decisions</c> (admin): the session's offer decisions, newest
/// first, each with its score, its reasons and the policy's reasons — why an offer was or was not made.
/// </summary>
public static class ListSessionDecisions
{
    public const string Name = nameof(ListSessionDecisions);

    public static async Task<IResult> HandleAsync(string merchantId, string sessionId, int? max, ISessionStore sessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        var decisions = await sessions.ListDecisionsAsync(merchantId, sessionId, Math.Clamp(max ?? 50, 1, 500), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new DecisionLog(merchantId, sessionId, decisions));
    }
}

public sealed record DecisionLog(string MerchantId, string SessionId, IReadOnlyList<StoredDecision> Decisions);
