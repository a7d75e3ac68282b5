using System.Diagnostics;
using Azure;
using CartCall.Domain.Calls;
using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// The call orchestration's activities: every effect of the call flow (the call record and its pushes, ACS requests,
/// agent reservations, the CallEnded event). Each may run more than once (a retry, a worker that died mid-way), so each
/// is idempotent: dials carry a repeatability id, reservations name their call, the record is a projection of the state.
/// </summary>
public sealed partial class CallActivities(
    TableCallStore calls,
    TableAgentStore agents,
    CallDialer dialer,
    AgentRouter router,
    AcsCallClient acs,
    CallStatusNotifier notifier,
    EventGridPublisher publisher,
    OptimisticConcurrency concurrency,
    IOptions<CallsOptions> options,
    TimeProvider time,
    ILogger<CallActivities> logger,
    DurableCallStarters starters)
{
    [Function(nameof(RecordCallState))]
    public async Task RecordCallState([ActivityTrigger] RecordRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = request.State;
        (CallStatus Status, CallPhase Phase)? before = null;
        var saved = await concurrency.ExecuteAsync<CallRecord?>($"Call {state.CallId}", async ct =>
        {
            var call = await calls.GetAsync(state.CallId, ct).ConfigureAwait(false);
            if (call is null)
            {
                return null;
            }

            if (call.RecordSequence >= request.Sequence && call.RecordSequence > 0)
            {
                return null; // a newer state was recorded already
            }

            before ??= (call.Status, call.Phase);
            CallProjection.Apply(call, state, request.At);
            call.RecordSequence = request.Sequence;
            return await calls.TryReplaceAsync(call, ct).ConfigureAwait(false) ? call : throw OptimisticConcurrency.Lost($"Call {state.CallId}");
        }, cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            return;
        }

        if (state.Stage == CallStage.Talking && state.AgentId is { } agent)
        {
            await agents.JoinAsync(saved.MerchantId, agent, state.CallId, cancellationToken).ConfigureAwait(false);
        }

        if (before != (saved.Status, saved.Phase))
        {
            await notifier.NotifyAsync(saved, state.Stage == CallStage.Ended ? saved.Outcome : null, cancellationToken).ConfigureAwait(false);
        }
    }

    [Function(nameof(DialShopper))]
    public async Task<CallSignalEnvelope> DialShopper([ActivityTrigger] DialRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = await calls.GetAsync(request.CallId, cancellationToken).ConfigureAwait(false);
        using var span = Telemetry.Start(Telemetry.Spans.PlaceCall, ActivityKind.Client, call?.TraceParent).Ids(call?.MerchantId, call?.SessionId, call?.OfferId, request.CallId);
        return new(await dialer.DialAsync(request.CallId, request.Attempt, request.FirstSent, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Before a scheduled call is dialled: is anyone there to take it?</summary>
    [Function(nameof(PrecheckCall))]
    public async Task<CallSignalEnvelope> PrecheckCall([ActivityTrigger] string callId, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            return new(new PrecheckDone(false, "the call record is gone"));
        }

        var available = await agents.CountAvailableAsync(call.MerchantId, fresh: true, cancellationToken).ConfigureAwait(false);
        return new(available > 0 ? new PrecheckDone(true, null) : new PrecheckDone(false, "No agent was available when the call was due."));
    }

    [Function(nameof(InviteAgent))]
    public async Task<CallSignalEnvelope> InviteAgent([ActivityTrigger] InviteRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(await router.InviteNextAsync(request.CallId, request.CallConnectionId, request.Attempt, [.. request.AlreadyTried], cancellationToken).ConfigureAwait(false));
    }

    [Function(nameof(ReleaseAgent))]
    public async Task ReleaseAgent([ActivityTrigger] ReleaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = await calls.GetAsync(request.CallId, cancellationToken).ConfigureAwait(false);
        if (call is not null)
        {
            await agents.ReleaseAsync(call.MerchantId, request.AgentId, request.CallId, request.Talked, options.Value.WrapUp, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops an agent's invitation the flow gave up on. Repeatable (the same id for the same invitation), and an
    /// invitation the service says is already over (answered, declined, timed out, or the call gone: 4xx) is done with.
    /// </summary>
    [Function(nameof(CancelAgentInvitation))]
    public async Task CancelAgentInvitation([ActivityTrigger] CancelInvitationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CallConnectionId is null)
        {
            return;
        }

        try
        {
            await acs.CancelAddParticipantAsync(
                request.CallConnectionId, request.InvitationId, CallFlowContexts.CancelInvitation(request.CallId, request.Attempt),
                repeatability: Repeatability.For($"{request.CallId}/agent/{request.Attempt}/cancel", request.At), cancellationToken: cancellationToken).ConfigureAwait(false);
            LogInvitationCancelled(request.CallId, request.AgentId, request.Attempt, request.InvitationId);
        }
        catch (AcsRequestFailedException e) when (e.IsRefusal)
        {
            LogInvitationAlreadyOver(request.CallId, request.AgentId, request.InvitationId, e.Status, e.ErrorCode);
        }
    }

    /// <summary>
    /// Takes an agent the flow gave up on off the call (they answered as their invitation was being cancelled).
    /// Repeatable (the same id for the same agent), and a participant the service no longer finds (already gone, or the
    /// call over: 4xx) is done with.
    /// </summary>
    [Function(nameof(RemoveAgentFromCall))]
    public async Task RemoveAgentFromCall([ActivityTrigger] RemoveAgentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CallConnectionId is null)
        {
            return;
        }

        try
        {
            await acs.RemoveParticipantAsync(
                request.CallConnectionId, request.AgentRawId, CallFlowContexts.RemoveAgent(request.CallId, request.AgentId),
                repeatability: Repeatability.For($"{request.CallId}/agent/{request.AgentId}/remove", request.At), cancellationToken: cancellationToken).ConfigureAwait(false);
            LogAgentRemoved(request.CallId, request.AgentId);
        }
        catch (AcsRequestFailedException e) when (e.IsRefusal)
        {
            LogAgentAlreadyGone(request.CallId, request.AgentId, e.Status, e.ErrorCode);
        }
    }

    /// <returns>Whether the prompt started; one that cannot start (no prompt configured, ACS refused) counts as played.</returns>
    [Function(nameof(PlayPrompt))]
    public async Task<bool> PlayPrompt([ActivityTrigger] PlayRequestInput request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var prompt = request.What == CallFlow.Apology ? options.Value.ApologyPromptUrl : options.Value.GreetingPromptUrl;
        if (prompt is null || request.CallConnectionId is null)
        {
            return false;
        }

        try
        {
            await acs.PlayAsync(request.CallConnectionId, new PlayRequest([new FilePlaySource(prompt)]) { OperationContext = CallFlowContexts.Play(request.CallId, request.What) }, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (AcsRequestFailedException e) when (e.IsRefusal)
        {
            LogPlayRefused(e, request.CallId, request.What);
            return false;
        }
    }

    [Function(nameof(HangUpCall))]
    public async Task HangUpCall([ActivityTrigger] HangUpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CallConnectionId is null)
        {
            return;
        }

        try
        {
            await acs.HangUpAsync(request.CallConnectionId, forEveryone: true, cancellationToken).ConfigureAwait(false);
        }
        catch (AcsRequestFailedException e) when (e.IsRefusal)
        {
            // Already over (404) or never established: the disconnect or the next check settles the record.
            LogHangUpRefused(e, request.CallId);
        }
    }

    /// <summary>The call's real state at ACS: whether it still exists, and who is on it.</summary>
    [Function(nameof(ReconcileCall))]
    public async Task<CallSignalEnvelope> ReconcileCall([ActivityTrigger] ReconcileRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.CallConnectionId is null)
        {
            return new(new Reconciled(false, []));
        }

        // No such call (never placed, or over) is an answer too, not a failure.
        var participants = await acs.ListParticipantsAsync(request.CallConnectionId, cancellationToken).ConfigureAwait(false);
        LogReconciled(request.CallId, participants is not null, participants?.Count ?? 0);
        return new(participants is null ? new Reconciled(false, []) : new Reconciled(true, [.. participants.Select(p => p.RawId)]));
    }

    [Function(nameof(PublishCallEnded))]
    public async Task PublishCallEnded([ActivityTrigger] string callId, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (call is null || call.EndedPublished)
        {
            return;
        }

        // The event's id is the call's: a publish repeated after a crash is the same event downstream.
        await publisher.PublishAsync(CallEnded.From(call).ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        await concurrency.ExecuteAsync($"Call {callId}", async ct =>
        {
            var current = await calls.GetAsync(callId, ct).ConfigureAwait(false);
            if (current is null || current.EndedPublished)
            {
                return;
            }

            current.EndedPublished = true;
            if (!await calls.TryReplaceAsync(current, ct).ConfigureAwait(false))
            {
                throw OptimisticConcurrency.Lost($"Call {callId}");
            }
        }, cancellationToken).ConfigureAwait(false);
        LogEnded(callId, call.MerchantId, call.Outcome, call.DurationSeconds ?? 0);
    }

    /// <summary>
    /// Creates the one callback of a call nobody could take and starts its orchestration (instance id = the callback's
    /// call id, so a repeat starts nothing new); answers the callback's id, null when there is none. The callback is an
    /// orchestration of its own rather than a sub-orchestration: the call's own instance ends when the call does.
    /// </summary>
    [Function(nameof(CreateCallback))]
    public async Task<string?> CreateCallback(
        [ActivityTrigger] CallbackRequest request, [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(durable);
        if (await PrepareCallbackAsync(request, cancellationToken).ConfigureAwait(false) is not { } callback)
        {
            return null;
        }

        var record = await calls.GetAsync(callback.Plan.CallId, cancellationToken).ConfigureAwait(false);
        if (record is null || record.IsOver)
        {
            return null;
        }

        await DurableCallStarter.EnsureStartedAsync(durable, record, callback, cancellationToken).ConfigureAwait(false);
        return callback.Plan.CallId;
    }

    private async Task<CallOrchestrationInput?> PrepareCallbackAsync(CallbackRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = await calls.GetAsync(request.CallId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var delay = options.Value.AgentUnavailableCallbackDelay;
        var id = CallIds.CallbackFor(call.CallId);
        var due = now + delay;
        var callback = new CallRecord
        {
            CallId = id,
            OfferId = call.OfferId,
            MerchantId = call.MerchantId,
            SessionId = call.SessionId,
            Mode = call.Mode,
            Reason = "Callback: no agent could take the earlier call.",
            Status = CallStatus.Scheduled,
            CreatedAt = now,
            ScheduledFor = due,
            ShopperPhone = call.ShopperPhone,
            ShopperAcsUserId = call.ShopperAcsUserId,
            QuietHours = call.QuietHours,
            TimeZone = call.TimeZone,
            ClientAddress = call.ClientAddress,
            Cart = call.Cart,
            CallbackOf = call.CallId,
            TraceParent = call.TraceParent,
        };
        var created = await calls.TryCreateAsync(callback, cancellationToken).ConfigureAwait(false) ?? await calls.GetAsync(id, cancellationToken).ConfigureAwait(false);
        await concurrency.ExecuteAsync($"Call {call.CallId}", async ct =>
        {
            var current = await calls.GetAsync(call.CallId, ct).ConfigureAwait(false);
            if (current is null || current.CallbackCallId is not null)
            {
                return;
            }

            current.CallbackCallId = id;
            if (!await calls.TryReplaceAsync(current, ct).ConfigureAwait(false))
            {
                throw OptimisticConcurrency.Lost($"Call {call.CallId}");
            }
        }, cancellationToken).ConfigureAwait(false);
        if (created is not null)
        {
            await notifier.NotifyAsync(created, "callback", cancellationToken).ConfigureAwait(false);
        }

        LogCallbackScheduled(call.CallId, id, created?.ScheduledFor ?? due);
        var original = request.Original;
        var input = original with
        {
            Plan = original.Plan with { CallId = id, IsCallback = true, NotBefore = created?.ScheduledFor ?? due },
            FirstDialSent = created?.ScheduledFor ?? due,
        };
        return await starters.WithCurrentHooksAsync(call.MerchantId, input, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to play the {Prompt} prompt")]
    private partial void LogPlayRefused(Exception e, string callId, string prompt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: cancelled agent {AgentId}'s invitation {InvitationId} (attempt {Attempt})")]
    private partial void LogInvitationCancelled(string callId, string agentId, int attempt, string invitationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: agent {AgentId}'s invitation {InvitationId} was already over ({Status} {ErrorCode})")]
    private partial void LogInvitationAlreadyOver(string callId, string agentId, string invitationId, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: took agent {AgentId} off the call; the flow had given up on them, but they answered")]
    private partial void LogAgentRemoved(string callId, string agentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: agent {AgentId} was no longer on the call to take off ({Status} {ErrorCode})")]
    private partial void LogAgentAlreadyGone(string callId, string agentId, int status, string? errorCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: hang-up refused (already over?)")]
    private partial void LogHangUpRefused(Exception e, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: asked ACS; the call exists: {Exists}, {Participants} participant(s)")]
    private partial void LogReconciled(string callId, bool exists, int participants);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} ended: {Outcome} after {DurationSeconds:F1} s")]
    private partial void LogEnded(string callId, string merchantId, string? outcome, double durationSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: callback {CallbackCallId} scheduled for {ScheduledFor}")]
    private partial void LogCallbackScheduled(string callId, string callbackCallId, DateTimeOffset scheduledFor);
}

/// <summary>The call record (what the widget, the agents and the merchant read) as a projection of the flow's state.</summary>
public static class CallProjection
{
    public static void Apply(CallRecord call, CallState state, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(state);
        var status = state.Stage switch
        {
            CallStage.Scheduled or CallStage.Prechecking => CallStatus.Scheduled,
            CallStage.Dialing => state.CallConnectionId is null ? CallStatus.Queued : CallStatus.Ringing,
            CallStage.Ended => state.Failed ? CallStatus.Failed : CallStatus.Ended,
            _ => CallStatus.Connected,
        };
        if (status == CallStatus.Ringing && call.RingingAt is null)
        {
            call.RingingAt = at;
        }

        if (call.StateChangedAt is null || call.Status != status || call.Phase != PhaseOf(state.Stage))
        {
            call.StateChangedAt = at;
        }

        call.Status = status;
        call.Phase = PhaseOf(state.Stage);
        call.CallConnectionId = state.CallConnectionId ?? call.CallConnectionId;
        call.ConnectedAt = state.ConnectedAt;
        call.EndedAt = state.EndedAt;
        call.DurationSeconds = state is { ConnectedAt: { } from, EndedAt: { } to } ? Math.Max(0, (to - from).TotalSeconds) : state.EndedAt is null ? null : 0;
        call.Outcome = state.Outcome;
        call.Detail = state.Detail ?? call.Detail;
        call.ShopperMessage = state.ShopperMessage ?? call.ShopperMessage;
        call.AgentAttempt = state.AgentAttempt;
        call.CurrentAgentId = state.InvitedAgentId;
        call.CurrentAgentRawId = state.InvitedAgentRawId;
        call.AgentsTried = [.. state.AgentsTried];
        call.AgentId = state.AgentId;
        call.AgentRawId = state.AgentId is null ? null : state.InvitedAgentRawId;
    }

    private static CallPhase PhaseOf(CallStage stage) => stage switch
    {
        CallStage.AddingAgent => CallPhase.AddingAgent,
        CallStage.Talking => CallPhase.Talking,
        CallStage.Apologizing => CallPhase.Apology,
        CallStage.HangingUp => CallPhase.HangingUp,
        _ => CallPhase.None,
    };
}
