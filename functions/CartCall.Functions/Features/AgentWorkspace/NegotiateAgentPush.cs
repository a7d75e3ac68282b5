using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>The console's Web PubSub connection: where to connect, joined to the merchant's agents group.</summary>
public sealed record AgentPushNegotiation(Uri Url, DateTimeOffset ExpiresAt, string UserId, string Group);

/// <summary>
/// <c>POST /api/merchants/{merchantId}/agents/push</c> (admin key): a client access URL for the agent console, in the
/// group <c>agents:{merchantId}</c> that every call status change is sent to.
/// </summary>
public sealed class NegotiateAgentPush(IMerchantStore merchants, WebPubSubRestClient pubsub, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    [Function(nameof(NegotiateAgentPush))]
    [AdminApi]
    [ApiTag("Agents")]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/agents/push")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchants);
        ArgumentNullException.ThrowIfNull(pubsub);
        ArgumentNullException.ThrowIfNull(time);
        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var group = CallStatusNotifier.AgentsGroup(merchantId);
        var userId = $"console:{merchantId}:{Guid.NewGuid():N}";
        var url = pubsub.GetClientAccessUri(userId, [group], [], Lifetime);
        return TypedResults.Ok(new AgentPushNegotiation(url, time.GetUtcNow() + Lifetime, userId, group));
    }
}
