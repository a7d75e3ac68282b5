using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Agents;

/// <summary><c>GET /api/merchants/{merchantId}/agents</c>: the merchant's agents, in the order calls try them.</summary>
public sealed class ListAgents(TableAgentStore agents)
{
    [Function(nameof(ListAgents))]
    [AdminApi]
    [ApiTag("Agents")]
    [Response(200, typeof(IReadOnlyList<Agent>))]
    [Problems(401)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/agents")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken) =>
        TypedResults.Ok(await agents.ListAsync(merchantId, cancellationToken).ConfigureAwait(false));
}
