using CartCall.Domain.Calls;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>The merchant as the workspace needs it: names, money and the day's clock.</summary>
public sealed record WorkspaceMerchant(string Id, string DisplayName, string Currency, string TimeZone);

/// <summary>What the workspace shows about the signed-in agent, and how they take browser calls.</summary>
public sealed record WorkspaceView(Agent Agent, WorkspaceMerchant Merchant, CallingView? Calling);

/// <summary>The agent's change of availability or device (PUT /api/agent/me).</summary>
public sealed class WorkspaceUpdate
{
    /// <summary>True: ready for calls; false: away. Null leaves it.</summary>
    public bool? Available { get; set; }

    /// <summary>browser or phone. Null leaves it.</summary>
    public AgentDevice? TakesCallsOn { get; set; }
}

/// <summary>The agent's words on a call (PUT /api/agent/calls/{callId}/disposition).</summary>
public sealed class DispositionUpdate
{
    public DispositionOutcome? Outcome { get; set; }

    public string? Note { get; set; }
}

/// <summary>What a workspace request came to: a value, or why not.</summary>
public sealed record WorkspaceResult<T>(T? Value, int Status = 200, string? Detail = null)
{
    public static WorkspaceResult<T> Fail(int status, string detail) => new(default, status, detail);
}

/// <summary>The agent workspace's work: the agent's state and device, their browser-call token, today's calls, dispositions.</summary>
public sealed class AgentWorkspaceService(
    TableAgentStore agents,
    IMerchantStore merchants,
    TableCallStore calls,
    AcsIdentityClient identity,
    BrowserCalling calling,
    IOptions<CallsOptions> options,
    TimeProvider time)
{
    public const int MaxNoteLength = 1000;
    public const int MaxCallsListed = 500;

    public async Task<WorkspaceResult<WorkspaceView>> GetAsync(AgentPrincipal who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var agent = await agents.GetAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false);
        var merchant = await merchants.GetAsync(who.MerchantId, cancellationToken).ConfigureAwait(false);
        if (agent is null || merchant is null)
        {
            return WorkspaceResult<WorkspaceView>.Fail(404, "This agent no longer exists.");
        }

        return new(new WorkspaceView(agent, new WorkspaceMerchant(merchant.Id, merchant.DisplayName, merchant.Currency, merchant.TimeZone),
            agent.Device == AgentDevice.Browser ? calling.View : null));
    }

    public async Task<WorkspaceResult<WorkspaceView>> UpdateAsync(AgentPrincipal who, WorkspaceUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(update);
        var agent = await agents.GetAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false);
        if (agent is null)
        {
            return WorkspaceResult<WorkspaceView>.Fail(404, "This agent no longer exists.");
        }

        if (update.TakesCallsOn is { } device && device != agent.TakesCallsOn)
        {
            if (device == AgentDevice.Phone && agent.PhoneNumber is null)
            {
                return WorkspaceResult<WorkspaceView>.Fail(400, "You have no phone number on file; ask your admin to add one, or take calls in the browser.");
            }

            // The agent's ACS identity is made once, the first time they take calls in the browser, and kept.
            var acsUser = agent.AcsUserId;
            if (device == AgentDevice.Browser && acsUser is null)
            {
                acsUser = (await identity.CreateUserAndTokenAsync(["voip"], options.Value.ShopperTokenLifetime, cancellationToken).ConfigureAwait(false)).User.Id;
            }

            await agents.UpdateProfileAsync(who.MerchantId, who.AgentId, a => { a.TakesCallsOn = device; a.AcsUserId = acsUser; }, cancellationToken).ConfigureAwait(false);
        }

        if (update.Available is { } available && available != (agent.Status is not AgentStatus.Away))
        {
            var current = await agents.GetAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false) ?? agent;
            current.Available = available;
            await agents.UpsertAsync(who.MerchantId, current, cancellationToken).ConfigureAwait(false);
        }

        return await GetAsync(who, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the agent's wrap-up now, so routing may offer them the next call.</summary>
    public async Task<WorkspaceResult<WorkspaceView>> ReadyAsync(AgentPrincipal who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        await agents.ReadyAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false);
        return await GetAsync(who, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A VoIP token for the agent's ACS identity, for the workspace's calling adapter.</summary>
    public async Task<WorkspaceResult<AcsTokenView>> TokenAsync(AgentPrincipal who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var agent = await agents.GetAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false);
        if (agent?.Device != AgentDevice.Browser)
        {
            return WorkspaceResult<AcsTokenView>.Fail(409, "You take calls on your phone; choose the browser first.");
        }

        var token = await identity.IssueTokenAsync(new CommunicationUserIdentifier(agent.AcsUserId!), ["voip"], options.Value.ShopperTokenLifetime, cancellationToken)
            .ConfigureAwait(false);
        return new(new AcsTokenView(agent.AcsUserId!, token.Token, token.ExpiresOn));
    }

    /// <summary>Today's calls (the merchant's day) that rang or reached this agent, newest first, with their dispositions.</summary>
    public async Task<WorkspaceResult<IReadOnlyList<AgentCallView>>> TodayAsync(AgentPrincipal who, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var merchant = await merchants.GetAsync(who.MerchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return WorkspaceResult<IReadOnlyList<AgentCallView>>.Fail(404, "This agent no longer exists.");
        }

        var today = merchant.LocalDate(time.GetUtcNow());
        var mine = (await calls.ListForMerchantAsync(who.MerchantId, activeOnly: false, MaxCallsListed, cancellationToken).ConfigureAwait(false))
            .Where(c => Involves(c, who.AgentId) && merchant.LocalDate(c.CreatedAt) == today)
            .ToList();
        var dispositions = await Task.WhenAll(mine.Select(c => calls.GetDispositionAsync(c.CallId, cancellationToken))).ConfigureAwait(false);
        return new(mine.Select((c, i) => AgentCallView.From(c, dispositions[i])).ToList());
    }

    public async Task<WorkspaceResult<AgentCallView>> CallAsync(AgentPrincipal who, string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        // The agent's own reservation names the call before the call's record does (the record follows the orchestration).
        var holding = call is not null && !Involves(call, who.AgentId)
            && (await agents.GetAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false))?.CallId == callId;
        if (call is null || call.MerchantId != who.MerchantId || !(holding || Involves(call, who.AgentId)))
        {
            return WorkspaceResult<AgentCallView>.Fail(404, $"There is no call '{callId}' of yours.");
        }

        return new(AgentCallView.From(call, await calls.GetDispositionAsync(callId, cancellationToken).ConfigureAwait(false)));
    }

    public async Task<WorkspaceResult<AgentCallView>> WriteDispositionAsync(AgentPrincipal who, string callId, DispositionUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(who);
        ArgumentNullException.ThrowIfNull(update);
        var problems = new List<string>();
        if (update.Outcome is null)
        {
            problems.Add("outcome is required: " + string.Join(", ", Enum.GetNames<DispositionOutcome>().Select(n => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(n))) + ".");
        }

        var note = update.Note?.Trim();
        if (note is { Length: > MaxNoteLength })
        {
            problems.Add($"note must be at most {MaxNoteLength} characters.");
        }

        if (problems.Count > 0)
        {
            return WorkspaceResult<AgentCallView>.Fail(400, string.Join(" ", problems));
        }

        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        // Only the agent who took the call writes it up.
        if (call is null || call.MerchantId != who.MerchantId || call.AgentId != who.AgentId)
        {
            return WorkspaceResult<AgentCallView>.Fail(404, $"There is no call '{callId}' that you took.");
        }

        var disposition = new CallDisposition(update.Outcome!.Value, string.IsNullOrEmpty(note) ? null : note, who.AgentId, time.GetUtcNow());
        await calls.PutDispositionAsync(callId, disposition, cancellationToken).ConfigureAwait(false);
        return new(AgentCallView.From(call, disposition));
    }

    private static bool Involves(CallRecord call, string agentId) =>
        call.AgentId == agentId || call.CurrentAgentId == agentId || call.AgentsTried.Contains(agentId);
}
