using System.Diagnostics;
using Azure;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Queue-triggered (<c>calls</c>): dials the shopper — over the PSTN from the merchant's number, or to the shopper's
/// ACS user for a browser call — with the callback URL naming the call and the call id as operation context.
/// Idempotent per call: a run first claims the call (ETag), so a repeated message never dials twice. A scheduled
/// callback surfaces here when due and runs its guards again (quiet hours, an agent available) before dialling.
/// </summary>
public sealed partial class PlaceCall(
    TableCallStore calls,
    CallFlowRunner runner,
    CallQueue queue,
    AcsCallClient acs,
    CallbackUrls callbackUrls,
    IMerchantStore merchants,
    TableAgentStore agents,
    CallStatusNotifier notifier,
    IOptions<AcsOptions> acsOptions,
    TimeProvider time,
    ILogger<PlaceCall> logger)
{
    /// <summary>A message that surfaces this close to its time is close enough (queue visibility is whole seconds).</summary>
    private static readonly TimeSpan EarlyTolerance = TimeSpan.FromMilliseconds(500);


    [Function(nameof(PlaceCall))]
    public async Task RunAsync([QueueTrigger(StorageNames.CallsQueue)] string message, FunctionContext context, CancellationToken cancellationToken) =>
        QueueTrigger.Settle(await HandleAsync(message, QueueTrigger.DequeueCount(context), cancellationToken).ConfigureAwait(false), nameof(PlaceCall));

    public async Task<QueueOutcome> HandleAsync(string message, int dequeueCount, CancellationToken cancellationToken)
    {
        var request = QueueMessages.TryRead<PlaceCallMessage>(message);

        if (request is null || string.IsNullOrEmpty(request.CallId))
        {
            LogMalformed(message.Length);
            return QueueOutcome.Completed;
        }

        var call = await calls.GetAsync(request.CallId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            LogUnknown(request.CallId);
            return QueueOutcome.Completed;
        }

        if (call.DialClaimedAt is not null || call.Status is not (CallStatus.Queued or CallStatus.Scheduled))
        {
            LogAlreadyPlaced(call.CallId, call.Status);
            return QueueOutcome.Completed;
        }

        // Placing the call continues the trace of the accept that made it (and so the offer's).
        using var span = Telemetry.Start(Telemetry.Spans.PlaceCall, ActivityKind.Client, call.TraceParent).Ids(call.MerchantId, call.SessionId, call.OfferId, call.CallId);
        var now = time.GetUtcNow();
        if (call.Status == CallStatus.Scheduled)
        {
            if (await RecheckScheduledAsync(call, now, cancellationToken).ConfigureAwait(false) is { } settled)
            {
                return settled;
            }
        }

        // Claim: from here on no other run dials this call.
        var claimed = await runner.UpdateAsync(call.CallId, c =>
        {
            if (c.DialClaimedAt is not null || c.Status is not (CallStatus.Queued or CallStatus.Scheduled))
            {
                return false;
            }

            c.DialClaimedAt = time.GetUtcNow();
            c.Status = CallStatus.Queued;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (claimed is null)
        {
            LogAlreadyPlaced(call.CallId, call.Status);
            return QueueOutcome.Completed;
        }

        var merchant = await merchants.GetAsync(claimed.MerchantId, cancellationToken).ConfigureAwait(false);
        CreateCallRequest create;
        if (claimed.Mode == CallMode.Phone)
        {
            var caller = merchant?.SourcePhoneNumber ?? acsOptions.Value.SourcePhoneNumber;
            if (caller is null || claimed.ShopperPhone is null)
            {
                await runner.EndAsync(claimed.CallId, CallOutcomes.DialFailed, CallStatus.Failed, "The merchant has no source phone number to call from.", cancellationToken)
                    .ConfigureAwait(false);
                return QueueOutcome.Completed;
            }

            create = new CreateCallRequest([new PhoneNumberIdentifier(claimed.ShopperPhone)], callbackUrls.ForCall(claimed.CallId))
            {
                SourceCallerIdNumber = new PhoneNumberIdentifier(caller),
                SourceDisplayName = merchant?.DisplayName,
                OperationContext = claimed.CallId,
            };
        }
        else
        {
            create = new CreateCallRequest([new CommunicationUserIdentifier(claimed.ShopperAcsUserId!)], callbackUrls.ForCall(claimed.CallId))
            {
                SourceDisplayName = merchant?.DisplayName,
                OperationContext = claimed.CallId,
            };
        }

        CallConnectionProperties placed;
        try
        {
            placed = await acs.CreateCallAsync(create, cancellationToken).ConfigureAwait(false);
        }
        catch (AcsRequestFailedException e) when (e.Status is >= 400 and < 500 and not 408 and not 429)
        {
            LogDialRefused(e, claimed.CallId, e.Status);
            await runner.EndAsync(claimed.CallId, CallOutcomes.DialFailed, CallStatus.Failed, $"ACS refused the call ({e.Status} {e.ErrorCode}).", cancellationToken)
                .ConfigureAwait(false);
            return QueueOutcome.Completed;
        }
        catch (Exception e) when (DependencyFailures.IsTransient(e, cancellationToken))
        {
            // Transient (after the client's own retries): give the claim back and let the queue try again.
            LogDialFailed(e, claimed.CallId, dequeueCount);
            await runner.UpdateAsync(claimed.CallId, c => c.Status == CallStatus.Queued && c.CallConnectionId is null && (c.DialClaimedAt = null) is null, cancellationToken)
                .ConfigureAwait(false);
            return QueueOutcome.Retry;
        }

        var ringing = await runner.UpdateAsync(claimed.CallId, c =>
        {
            var changed = false;
            if (c.CallConnectionId is null)
            {
                c.CallConnectionId = placed.CallConnectionId;
                changed = true;
            }

            // Callbacks may already have moved the call on (connected, even ended): then it stays where they put it.
            if (c.Status == CallStatus.Queued)
            {
                c.Status = CallStatus.Ringing;
                c.RingingAt = time.GetUtcNow();
                changed = true;
            }

            return changed;
        }, cancellationToken).ConfigureAwait(false);
        LogDialled(claimed.CallId, claimed.MerchantId, claimed.Mode, placed.CallConnectionId);
        if (ringing is { Status: CallStatus.Ringing })
        {
            await notifier.NotifyAsync(ringing, null, cancellationToken).ConfigureAwait(false);
        }

        return QueueOutcome.Completed;
    }

    /// <returns>Null to go on and dial; otherwise the message is settled (re-queued for later, or the call ended).</returns>
    private async Task<QueueOutcome?> RecheckScheduledAsync(CallRecord call, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = call.ScheduledFor ?? now;
        if (due - now > EarlyTolerance)
        {
            // Surfaced early (or the callback is further off than a queue message can hide): wait again.
            await queue.EnqueueAsync(call.CallId, due - now, cancellationToken).ConfigureAwait(false);
            return QueueOutcome.Completed;
        }

        if (call.Mode == CallMode.Phone && call.TimeZone is { } zone
            && QuietHoursPolicy.DeferUntil(call.QuietHours, zone, now) is { } later)
        {
            await runner.UpdateAsync(call.CallId, c => c.Status == CallStatus.Scheduled && (c.ScheduledFor = later) is not null, cancellationToken).ConfigureAwait(false);
            await queue.EnqueueAsync(call.CallId, later - now, cancellationToken).ConfigureAwait(false);
            LogDeferredAgain(call.CallId, later);
            return QueueOutcome.Completed;
        }

        if (await agents.CountAvailableAsync(call.MerchantId, fresh: true, cancellationToken).ConfigureAwait(false) == 0)
        {
            await runner.EndAsync(call.CallId, CallOutcomes.AgentUnavailable, CallStatus.Failed, "No agent was available when the callback was due.", cancellationToken)
                .ConfigureAwait(false);
            return QueueOutcome.Completed;
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed PlaceCall message of {Length} characters")]
    private partial void LogMalformed(int length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PlaceCall: no call {CallId}")]
    private partial void LogUnknown(string callId);

    [LoggerMessage(Level = LogLevel.Information, Message = "PlaceCall: call {CallId} is already placed ({Status})")]
    private partial void LogAlreadyPlaced(string callId, CallStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} dialled ({Mode}); connection {CallConnectionId}")]
    private partial void LogDialled(string callId, string merchantId, CallMode mode, string callConnectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to create it ({Status})")]
    private partial void LogDialRefused(Exception e, string callId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: dialling failed on try {DequeueCount}; will retry")]
    private partial void LogDialFailed(Exception e, string callId, int dequeueCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: still in the shopper's quiet hours; deferred to {ScheduledFor}")]
    private partial void LogDeferredAgain(string callId, DateTimeOffset scheduledFor);
}
