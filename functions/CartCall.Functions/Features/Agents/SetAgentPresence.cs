using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Agents;

/// <summary><c>PUT /api/merchants/{merchantId}/agents/{agentId}</c>: register an agent or change their availability.</summary>
public static class SetAgentPresence
{
    public const string Name = nameof(SetAgentPresence);

    public static async Task<IResult> HandleAsync(
        string merchantId, string agentId, HttpRequest request, IMerchantStore merchants, TableAgentStore agents, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchants);
        ArgumentNullException.ThrowIfNull(agents);
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
        await agents.UpsertAsync(merchantId, agent, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(agent);
    }
}
