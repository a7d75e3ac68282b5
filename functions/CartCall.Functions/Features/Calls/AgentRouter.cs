using CartCall.Domain.Calls.Flow;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Chooses the agent for a call: the first available agent in the merchant's priority order who has not been tried,
/// reserved with a compare-and-swap (two calls can never hold one agent), then invited into the call. An invitation ACS
/// refuses gives the reservation back and moves on to the next agent.
/// </summary>
public sealed partial class AgentRouter(
    TableCallStore calls,
    TableAgentStore agents,
    IMerchantStore merchants,
    AcsCallClient acs,
    IOptions<CallsOptions> options,
    IOptions<AcsOptions> acsOptions,
    ILogger<AgentRouter> logger)
{
    public async Task<CallSignal> InviteNextAsync(string callId, string? callConnectionId, int attempt, IReadOnlyCollection<string> alreadyTried, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (call is null || callConnectionId is not { } connection)
        {
            return new NoAgentAvailable(attempt);
        }

        var merchant = await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false);
        var callerId = merchant?.SourcePhoneNumber ?? acsOptions.Value.SourcePhoneNumber;
        var tried = new HashSet<string>(alreadyTried, StringComparer.Ordinal);
        // A hook's routing answer puts its agent first; the rest keep the merchant's order (a stable sort).
        var candidates = (await agents.ListAsync(call.MerchantId, cancellationToken).ConfigureAwait(false))
            .OrderBy(a => a.Id == call.RoutedAgentId ? 0 : 1);
        foreach (var agent in candidates)
        {
            // Browser agents are invited by their ACS identity (they answer in the workspace), phone agents by number.
            var device = agent.Device;
            var reachable = device == AgentDevice.Browser || (device == AgentDevice.Phone && callerId is not null);
            // An agent this call already holds (the activity ran again after a crash) is invited again, not leaked.
            var ours = agent.CallId == callId && agent.Status == CartCall.Domain.Calls.AgentStatus.Reserved;
            if ((!agent.Available && !ours) || tried.Contains(agent.Id) || !reachable)
            {
                continue;
            }

            // Reserving is idempotent per call: a repeat of this activity after a crash finds its own reservation.
            if (!await agents.TryReserveAsync(call.MerchantId, agent.Id, callId, cancellationToken).ConfigureAwait(false))
            {
                continue; // another call took them first
            }

            CommunicationIdentifier who = device == AgentDevice.Browser ? new CommunicationUserIdentifier(agent.AcsUserId!) : new PhoneNumberIdentifier(agent.PhoneNumber!);
            try
            {
                var invited = await acs.AddParticipantAsync(
                    connection, who, who is PhoneNumberIdentifier ? new PhoneNumberIdentifier(callerId!) : null,
                    options.Value.AgentInvitationTimeoutSeconds, CallFlowContexts.Agent(callId, attempt),
                    repeatability: Repeatability.For($"{callId}/agent/{attempt}/{agent.Id}", call.CreatedAt), cancellationToken: cancellationToken).ConfigureAwait(false);
                LogInviting(callId, agent.Id, attempt, invited.InvitationId);
                // The invitation's id goes to the flow, which cancels the invitation by it if it gives up on this agent.
                return new AgentInvited(attempt, agent.Id, who.RawId, invited.InvitationId);
            }
            catch (AcsRequestFailedException e) when (e.ErrorCode is "CallNotEstablished" or "CallNotFound")
            {
                // The call is gone (the shopper hung up as the agent was being added), not the agent: the flow checks the call.
                LogCallGone(callId, agent.Id, e.ErrorCode);
                await agents.ReleaseAsync(call.MerchantId, agent.Id, callId, talked: false, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                return new InviteFoundNoCall(attempt, agent.Id, $"the call was not established when agent {agent.Id} was added ({e.ErrorCode})");
            }
            catch (AcsRequestFailedException e) when (e.IsRefusal)
            {
                LogInviteRefused(e, callId, agent.Id);
                tried.Add(agent.Id);
                await agents.ReleaseAsync(call.MerchantId, agent.Id, callId, talked: false, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Transient: give the agent back before the activity is retried, which reserves afresh.
                await agents.ReleaseAsync(call.MerchantId, agent.Id, callId, talked: false, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        LogNoAgent(callId, tried.Count);
        return new NoAgentAvailable(attempt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: inviting agent {AgentId} (attempt {Attempt}, invitation {InvitationId})")]
    private partial void LogInviting(string callId, string agentId, int attempt, string? invitationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to invite agent {AgentId}")]
    private partial void LogInviteRefused(Exception e, string callId, string agentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: agent {AgentId} not added, the call is gone ({ErrorCode})")]
    private partial void LogCallGone(string callId, string agentId, string? errorCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: no agent left to try after {Tried}")]
    private partial void LogNoAgent(string callId, int tried);
}
