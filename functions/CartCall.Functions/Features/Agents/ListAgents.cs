namespace CartCall.Functions.Features.Agents;

/// <summary><c>GET /api/merchants/{merchantId}/agents</c>: the merchant's agents, in the order calls try them.</summary>
public static class ListAgents
{
    public const string Name = nameof(ListAgents);

    public static async Task<IResult> HandleAsync(string merchantId, TableAgentStore agents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agents);
        return TypedResults.Ok(await agents.ListAsync(merchantId, availableOnly: false, cancellationToken).ConfigureAwait(false));
    }
}
