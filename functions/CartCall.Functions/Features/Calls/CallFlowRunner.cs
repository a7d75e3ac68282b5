using System.Diagnostics;
using Azure;
using CartCall.Functions.Hosting;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Storage;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>What became of one callback event.</summary>
public enum EventHandling
{
    Applied,
    Duplicate,
    Ignored,
    UnknownCall,
}

/// <summary>
/// Carries out the call flow: applies events through <see cref="CallFlow"/> with compare-and-swap saves, then does what
/// the transition asks (ACS operations, pushes, the CallEnded event, callbacks). Failures of an ACS operation feed
/// back into the flow (a failed agent invitation tries the next agent) rather than failing the callback.
/// </summary>
public sealed partial class CallFlowRunner(
    TableCallStore calls,
    TableAgentStore agents,
    IMerchantStore merchants,
    AcsCallClient acs,
    CallQueue queue,
    CallStatusNotifier notifier,
    EventGridPublisher publisher,
    OptimisticConcurrency concurrency,
    IOptions<CallsOptions> options,
    IOptions<AcsOptions> acsOptions,
    TimeProvider time,
    ILogger<CallFlowRunner> logger)
{
    public async Task<EventHandling> ApplyEventAsync(string callId, AcsCallEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var linked = false;
        var (handling, applied, actions) = await concurrency.ExecuteAsync<(EventHandling, CallRecord?, IReadOnlyList<CallAction>)>($"Call {callId}", async ct =>
        {
            var call = await calls.GetAsync(callId, ct).ConfigureAwait(false);
            if (call is null)
            {
                return (EventHandling.UnknownCall, null, []);
            }

            if (!linked)
            {
                // The callback's span joins the call's trace by a link: the call (and its offer) started it.
                Telemetry.LinkTo(call.TraceParent);
                Activity.Current.Ids(call.MerchantId, call.SessionId, call.OfferId);
                linked = true;
            }

            var transition = CallFlow.Apply(call, e, time.GetUtcNow(), options.Value.GreetingPromptUrl is not null);
            if (!transition.Changed)
            {
                LogIgnored(callId, e.Type, e.EventId, call.Status, call.Phase);
                return (EventHandling.Ignored, null, []);
            }

            var saved = await calls.SaveWithEventAsync(call, e.EventId, e.Type, time.GetUtcNow(), ct).ConfigureAwait(false);
            if (saved == EventApply.Duplicate
                || (saved == EventApply.Conflict && await calls.HasEventAsync(callId, e.EventId, ct).ConfigureAwait(false)))
            {
                LogDuplicate(callId, e.Type, e.EventId);
                return (EventHandling.Duplicate, null, []);
            }

            if (saved == EventApply.Conflict)
            {
                throw OptimisticConcurrency.Lost($"Call {callId}");
            }

            LogApplied(callId, e.Type, call.Status, call.Phase);
            return (EventHandling.Applied, call, transition.Actions);
        }, cancellationToken).ConfigureAwait(false);

        // The transition's work runs once, after the state it came from is saved, outside the retried attempt.
        if (applied is not null)
        {
            await ExecuteAsync(applied, actions, cancellationToken).ConfigureAwait(false);
        }

        return handling;
    }

    /// <summary>Ends a call that never got going (dial refused, guard failed at callback time).</summary>
    public async Task EndAsync(string callId, string outcome, CallStatus status, string detail, CancellationToken cancellationToken)
    {
        CallTransition? transition = null;
        var call = await UpdateAsync(callId, c =>
        {
            transition = CallFlow.End(c, time.GetUtcNow(), outcome, status, detail);
            return transition.Changed;
        }, cancellationToken).ConfigureAwait(false);
        if (call is not null && transition is not null)
        {
            await ExecuteAsync(call, transition.Actions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads, changes and saves a call with its ETag until it sticks; null when not found or <paramref name="mutate"/> declined.</summary>
    public async Task<CallRecord?> UpdateAsync(string callId, Func<CallRecord, bool> mutate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        return await concurrency.ExecuteAsync<CallRecord?>($"Call {callId}", async ct =>
        {
            var call = await calls.GetAsync(callId, ct).ConfigureAwait(false);
            if (call is null || !mutate(call))
            {
                return null;
            }

            return await calls.TryReplaceAsync(call, ct).ConfigureAwait(false) ? call : throw OptimisticConcurrency.Lost($"Call {callId}");
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task ExecuteAsync(CallRecord call, IReadOnlyList<CallAction> actions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(actions);
        foreach (var action in actions)
        {
            switch (action.Kind)
            {
                case CallActionKind.Push:
                    await notifier.NotifyAsync(call, action.Detail, cancellationToken).ConfigureAwait(false);
                    break;
                case CallActionKind.PublishEnded:
                    await PublishEndedAsync(call, cancellationToken).ConfigureAwait(false);
                    break;
                case CallActionKind.PlayGreeting:
                    if (!await PlayAsync(call, CallFlow.Greeting, options.Value.GreetingPromptUrl!, cancellationToken).ConfigureAwait(false))
                    {
                        await AddNextAgentAsync(call.CallId, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case CallActionKind.PlayApology:
                    if (!await PlayAsync(call, CallFlow.Apology, options.Value.ApologyPromptUrl!, cancellationToken).ConfigureAwait(false))
                    {
                        await HangUpAsync(call, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case CallActionKind.AddNextAgent:
                    await AddNextAgentAsync(call.CallId, cancellationToken).ConfigureAwait(false);
                    break;
                case CallActionKind.HangUp:
                    await HangUpAsync(call, cancellationToken).ConfigureAwait(false);
                    break;
                case CallActionKind.ScheduleCallback:
                    await ScheduleCallbackAsync(call, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task AddNextAgentAsync(string callId, CancellationToken cancellationToken)
    {
        var first = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (first is null)
        {
            return;
        }

        var merchant = await merchants.GetAsync(first.MerchantId, cancellationToken).ConfigureAwait(false);
        var callerId = merchant?.SourcePhoneNumber ?? acsOptions.Value.SourcePhoneNumber;

        // Bounded: each pass marks one more agent as tried.
        for (var pass = 0; pass < 64; pass++)
        {
            // Fresh: who is available now, in priority order.
            var available = await agents.ListAsync(first.MerchantId, availableOnly: true, cancellationToken).ConfigureAwait(false);
            var tried = (await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false))?.AgentsTried ?? [];
            var next = available.FirstOrDefault(a => !tried.Contains(a.Id, StringComparer.Ordinal)
                && (a.AcsUserId is { Length: > 0 } || (a.PhoneNumber is { Length: > 0 } && callerId is not null)));

            if (next is null)
            {
                CallTransition? giveUp = null;
                var ended = await UpdateAsync(callId, c =>
                {
                    if (c.IsOver || c.Status != CallStatus.Connected || c.Phase is CallPhase.Talking or CallPhase.Apology or CallPhase.HangingUp)
                    {
                        return false;
                    }

                    giveUp = CallFlow.NoAgentLeft(c, options.Value.ApologyPromptUrl is not null);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                if (ended is not null && giveUp is not null)
                {
                    LogNoAgent(callId, ended.AgentsTried.Count);
                    await ExecuteAsync(ended, giveUp.Actions, cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            var attempt = 0;
            CommunicationIdentifier who = next.AcsUserId is { Length: > 0 } user ? new CommunicationUserIdentifier(user) : new PhoneNumberIdentifier(next.PhoneNumber!);
            var call = await UpdateAsync(callId, c =>
            {
                if (c.IsOver || c.Status != CallStatus.Connected || c.Phase is CallPhase.Talking or CallPhase.Apology or CallPhase.HangingUp
                    || c.AgentsTried.Contains(next.Id, StringComparer.Ordinal))
                {
                    return false;
                }

                attempt = CallFlow.StartAgentAttempt(c, next.Id, who.RawId);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            if (call is null)
            {
                return; // the call moved on (ended, or another run is inviting)
            }

            try
            {
                await acs.AddParticipantAsync(
                    call.CallConnectionId!, who, who is PhoneNumberIdentifier ? new PhoneNumberIdentifier(callerId!) : null,
                    options.Value.AgentInvitationTimeoutSeconds, CallFlow.AgentContext(callId, attempt), cancellationToken: cancellationToken).ConfigureAwait(false);
                LogInviting(callId, next.Id, attempt);
                return;
            }
            catch (AcsRequestFailedException e) when (e.Status is >= 400 and < 500)
            {
                LogInviteRefused(e, callId, next.Id);
            }
        }
    }

    private async Task<bool> PlayAsync(CallRecord call, string what, Uri prompt, CancellationToken cancellationToken)
    {
        try
        {
            await acs.PlayAsync(call.CallConnectionId!, new PlayRequest([new FilePlaySource(prompt)]) { OperationContext = CallFlow.PlayContext(call.CallId, what) }, cancellationToken)
                .ConfigureAwait(false);
            return true;
        }
        catch (AcsRequestFailedException e) when (e.Status is >= 400 and < 500)
        {
            LogPlayRefused(e, call.CallId, what);
            return false;
        }
    }

    private async Task HangUpAsync(CallRecord call, CancellationToken cancellationToken)
    {
        if (call.CallConnectionId is null)
        {
            return;
        }

        try
        {
            await acs.HangUpAsync(call.CallConnectionId, forEveryone: true, cancellationToken).ConfigureAwait(false);
        }
        catch (AcsRequestFailedException e) when (e.Status is >= 400 and < 500)
        {
            // Already gone (404) or never established: the CallDisconnected callback settles the record.
            LogHangUpRefused(e, call.CallId);
        }
    }

    private async Task PublishEndedAsync(CallRecord call, CancellationToken cancellationToken)
    {
        try
        {
            await publisher.PublishAsync(CallEnded.From(call).ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogPublishFailed(e, call.CallId);
            return;
        }

        await UpdateAsync(call.CallId, c => !c.EndedPublished && (c.EndedPublished = true), cancellationToken).ConfigureAwait(false);
        LogEnded(call.CallId, call.MerchantId, call.Outcome, call.DurationSeconds ?? 0);
    }

    private async Task ScheduleCallbackAsync(CallRecord call, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var delay = options.Value.AgentUnavailableCallbackDelay;
        var callback = new CallRecord
        {
            CallId = CallIds.CallbackFor(call.CallId),
            OfferId = call.OfferId,
            MerchantId = call.MerchantId,
            SessionId = call.SessionId,
            Mode = CallMode.Phone,
            Reason = "Callback: no agent could take the earlier call.",
            Status = CallStatus.Scheduled,
            CreatedAt = now,
            ScheduledFor = now + delay,
            ShopperPhone = call.ShopperPhone,
            QuietHours = call.QuietHours,
            TimeZone = call.TimeZone,
            ClientAddress = call.ClientAddress,
            Cart = call.Cart,
            CallbackOf = call.CallId,
        };
        var created = await calls.TryCreateAsync(callback, cancellationToken).ConfigureAwait(false);
        if (created is not null)
        {
            await queue.EnqueueAsync(created.CallId, delay, cancellationToken).ConfigureAwait(false);
            await notifier.NotifyAsync(created, "callback", cancellationToken).ConfigureAwait(false);
            LogCallbackScheduled(call.CallId, created.CallId, created.ScheduledFor!.Value);
        }

        await UpdateAsync(call.CallId, c => c.CallbackCallId is null && (c.CallbackCallId = callback.CallId) is not null, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {CallId}: {EventType} {EventId} changes nothing in status {Status}/{Phase}")]
    private partial void LogIgnored(string callId, string eventType, string eventId, CallStatus status, CallPhase phase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: {EventType} {EventId} was delivered again; ignored")]
    private partial void LogDuplicate(string callId, string eventType, string eventId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: {EventType} applied, now {Status}/{Phase}")]
    private partial void LogApplied(string callId, string eventType, CallStatus status, CallPhase phase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: inviting agent {AgentId} (attempt {Attempt})")]
    private partial void LogInviting(string callId, string agentId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to invite agent {AgentId}")]
    private partial void LogInviteRefused(Exception e, string callId, string agentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: no agent left to try after {Tried} invitation(s)")]
    private partial void LogNoAgent(string callId, int tried);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to play the {Prompt} prompt")]
    private partial void LogPlayRefused(Exception e, string callId, string prompt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: hang-up refused (already over?)")]
    private partial void LogHangUpRefused(Exception e, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: CallEnded could not be published")]
    private partial void LogPublishFailed(Exception e, string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} ended: {Outcome} after {DurationSeconds:F1} s")]
    private partial void LogEnded(string callId, string merchantId, string? outcome, double durationSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: callback {CallbackCallId} scheduled for {ScheduledFor}")]
    private partial void LogCallbackScheduled(string callId, string callbackCallId, DateTimeOffset scheduledFor);
}
