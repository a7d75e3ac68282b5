using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>An issued agent key: shown once, only its hash is kept.</summary>
public sealed record IssuedAgentKey(string MerchantId, string AgentId, string Key, DateTimeOffset IssuedAt);

/// <summary>
/// <c>POST /api/merchants/{merchantId}/agents/{agentId}/key</c> (admin key): issues the agent's workspace key; a new one
/// replaces the old. The admin hands it to the agent, who signs in to the workspace with it.
/// </summary>
public sealed class IssueAgentKey(AgentKeys keys, IMerchantStore merchants, TimeProvider time)
{
    [Function(nameof(IssueAgentKey))]
    [AdminApi]
    [ApiTag("Agents")]
    [Response(201, typeof(IssuedAgentKey))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/agents/{agentId}/key")] HttpRequest request,
        string merchantId, string agentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null
            || await keys.IssueAsync(merchantId, agentId, cancellationToken).ConfigureAwait(false) is not { } key)
        {
            return Problems.NotFound($"There is no agent '{agentId}' of merchant '{merchantId}'.");
        }

        request.HttpContext.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created((string?)null, new IssuedAgentKey(merchantId, agentId, key, time.GetUtcNow()));
    }
}

/// <summary>The Web PubSub connection of an agent's workspace: the merchant's agents group, where call changes are sent.</summary>
public sealed record WorkspacePushNegotiation(Uri Url, DateTimeOffset ExpiresAt, string Group);

/// <summary>
/// The agent workspace's API, signed in with the agent's own key (<c>Authorization: Bearer cca_…</c>), never the
/// merchant's admin key: <c>/api/agent/me</c> (state, device, availability), <c>/api/agent/me/ready</c> (end wrap-up),
/// <c>/api/agent/calling-token</c>, <c>/api/agent/push</c>, <c>/api/agent/calls</c> (today's), one call, its disposition.
/// </summary>
public sealed class AgentWorkspaceEndpoints(AgentKeys keys, AgentWorkspaceService workspace, WebPubSubRestClient pubsub, TimeProvider time)
{
    [Function("GetAgentWorkspace")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(WorkspaceView))]
    [Problems(401, 404)]
    public async Task<IResult> GetMeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent/me")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return problem ?? Answer(await workspace.GetAsync(who!, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("UpdateAgentWorkspace")]
    [ApiTag("Agent workspace")]
    [RequestBody(typeof(WorkspaceUpdate))]
    [Response(200, typeof(WorkspaceView))]
    [Problems(400, 401, 404, 415)]
    public async Task<IResult> UpdateMeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "agent/me")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (update, _, invalid) = await JsonBody.ReadAsync<WorkspaceUpdate>(request, 4 * 1024, cancellationToken).ConfigureAwait(false);
        return invalid ?? Answer(await workspace.UpdateAsync(who!, update!, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("AgentReady")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(WorkspaceView))]
    [Problems(401, 404)]
    public async Task<IResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "agent/me/ready")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return problem ?? Answer(await workspace.ReadyAsync(who!, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("IssueAgentCallingToken")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(AcsTokenView))]
    [Problems(401, 409)]
    public async Task<IResult> TokenAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "agent/calling-token")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return problem ?? Answer(await workspace.TokenAsync(who!, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("NegotiateWorkspacePush")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(WorkspacePushNegotiation))]
    [Problems(401)]
    public async Task<IResult> PushAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "agent/push")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var group = CallStatusNotifier.AgentsGroup(who!.MerchantId);
        var lifetime = NegotiateAgentPushLifetime;
        var url = pubsub.GetClientAccessUri($"agent:{who.MerchantId}:{who.AgentId}:{Guid.NewGuid():N}", [group], [], lifetime);
        NoStore(request);
        return TypedResults.Ok(new WorkspacePushNegotiation(url, time.GetUtcNow() + lifetime, group));
    }

    [Function("ListAgentCallsToday")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(IReadOnlyList<AgentCallView>))]
    [Problems(401, 404)]
    public async Task<IResult> TodayAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent/calls")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return problem ?? Answer(await workspace.TodayAsync(who!, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("GetAgentCall")]
    [ApiTag("Agent workspace")]
    [Response(200, typeof(AgentCallView))]
    [Problems(401, 404)]
    public async Task<IResult> CallAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent/calls/{callId}")] HttpRequest request, string callId, CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        return problem ?? Answer(await workspace.CallAsync(who!, callId, cancellationToken).ConfigureAwait(false), request);
    }

    [Function("PutCallDisposition")]
    [ApiTag("Agent workspace")]
    [RequestBody(typeof(DispositionUpdate))]
    [Response(200, typeof(AgentCallView))]
    [Problems(400, 401, 404, 415)]
    public async Task<IResult> DispositionAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "agent/calls/{callId}/disposition")] HttpRequest request, string callId,
        CancellationToken cancellationToken)
    {
        var (who, problem) = await keys.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (update, _, invalid) = await JsonBody.ReadAsync<DispositionUpdate>(request, 8 * 1024, cancellationToken).ConfigureAwait(false);
        return invalid ?? Answer(await workspace.WriteDispositionAsync(who!, callId, update!, cancellationToken).ConfigureAwait(false), request);
    }

    private static readonly TimeSpan NegotiateAgentPushLifetime = TimeSpan.FromHours(1);

    private static void NoStore(HttpRequest request) => request.HttpContext.Response.Headers.CacheControl = "no-store";

    private static IResult Answer<T>(WorkspaceResult<T> result, HttpRequest request)
    {
        NoStore(request);
        return result.Status switch
        {
            200 => TypedResults.Ok(result.Value),
            400 => Problems.BadRequest(result.Detail!),
            404 => Problems.NotFound(result.Detail!),
            409 => Problems.Conflict(result.Detail!),
            _ => throw new InvalidOperationException($"Unexpected workspace status {result.Status}."),
        };
    }
}
