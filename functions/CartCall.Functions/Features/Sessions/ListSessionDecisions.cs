using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// <c>GET /api/merchants/{merchantId}/sessions/{sessionId}/decisions</c> (admin): the session's offer decisions, newest
/// first, each with its score, its reasons and the policy's reasons — why an offer was or was not made.
/// </summary>
public sealed class ListSessionDecisions(ISessionStore sessions)
{
    [Function(nameof(ListSessionDecisions))]
    [AdminApi]
    [ApiTag("Sessions")]
    [Response(200, typeof(DecisionLog))]
    [Problems(400, 401)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/sessions/{sessionId}/decisions")] HttpRequest request,
        string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var (max, badMax) = Query.OptionalInt(request, "max");
        if (badMax is not null)
        {
            return badMax;
        }

        var decisions = await sessions.ListDecisionsAsync(merchantId, sessionId, Math.Clamp(max ?? 50, 1, 500), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new DecisionLog(merchantId, sessionId, decisions));
    }
}

public sealed record DecisionLog(string MerchantId, string SessionId, IReadOnlyList<StoredDecision> Decisions);
