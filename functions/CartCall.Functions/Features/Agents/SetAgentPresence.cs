using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Agents;

/// <summary><c>PUT /api/merchants/{merchantId}/agents/{agentId}</c>: register an agent or change their availability.</summary>
public sealed class SetAgentPresence(IMerchantStore merchants, TableAgentStore agents, TimeProvider time)
{
    [Function(nameof(SetAgentPresence))]
    [AdminApi]
    [ApiTag("Agents")]
    [RequestBody(typeof(Agent))]
    [Response(200, typeof(Agent))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/agents/{agentId}")] HttpRequest request,
        string merchantId, string agentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MerchantValidator.IdPattern().IsMatch(agentId))
        {
            return Problems.BadRequest("agentId must be 2–63 lower-case letters, digits or hyphens.");
        }

        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var (agent, _, problem) = await JsonBody.ReadAsync<Agent>(request, 16 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        agent!.Id = agentId;
        if (agent.PhoneNumber is { } phone && !(phone.StartsWith('+') && phone.Length is > 7 and < 17 && phone[1..].All(char.IsAsciiDigit)))
        {
            return Problems.BadRequest("phoneNumber must be in E.164 form, such as +14255550123.");
        }

        agent.UpdatedAt = time.GetUtcNow();
        return TypedResults.Ok(await agents.UpsertAsync(merchantId, agent, cancellationToken).ConfigureAwait(false));
    }
}
