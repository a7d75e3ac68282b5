using Microsoft.DurableTask.Client;
using System.Diagnostics;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// <c>POST /api/calls/{callId}/events</c>: ACS Call Automation callbacks. Each is authenticated (JWT: issuer,
/// audience = the resource's immutable id, keys from the OpenID metadata) before anything is read; then every event
/// in the batch is raised to the call's orchestration (instance id = the call id the URL names, and the operation
/// context must agree). Repeated, early and reordered events are the call flow's to sort out.
/// </summary>
public sealed partial class HandleCallEvent(AcsCallbackAuthenticator authenticator, TableCallStore calls, StartedCalls started,
    DurableCallStarters starters, TimeProvider time, ILoggerFactory loggers)
{
    [Function(nameof(HandleCallEvent))]
    [ApiTag("Calls")]
    [Problems(400, 401)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "calls/{callId}/events")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(authenticator);
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger(typeof(HandleCallEvent));

        var auth = await authenticator.AuthenticateAsync(request.Headers.Authorization.FirstOrDefault(), cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            LogRejected(logger, callId, auth.FailureReason ?? "invalid token");
            return Problems.Unauthorized($"The callback is not from ACS: {auth.FailureReason}.");
        }

        var (raw, tooLarge) = await RequestBody.ReadAsync(request, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        IReadOnlyList<AcsCallEvent> events;
        try
        {
            events = AcsCallbackParser.Parse(BinaryData.FromBytes(raw!));
        }
        catch (FormatException e)
        {
            return Problems.BadRequest(e.Message);
        }

        foreach (var e in events)
        {
            var about = CallFlowContexts.CallIdOf(e.OperationContext);
            if (about is not null && !string.Equals(about, callId, StringComparison.Ordinal))
            {
                // Operation contexts are ours: one naming another call means the event is not this call's.
                LogMismatch(logger, callId, e.Type, about);
                continue;
            }

            using var span = Telemetry.Start(Telemetry.Spans.Callback, ActivityKind.Server).Ids(callId: callId);
            span?.SetTag("cartcall.event_type", e.Type);
            if (AcsCallSignals.From(e, time.GetUtcNow()) is not { } signal)
            {
                continue;
            }

            // An event raised to an instance that does not exist is dropped by the engine. The accept starts the
            // orchestration beside its dial; should it have died between the two, this call's first callback starts it.
            // Asked of the engine first: almost every call's orchestration exists, and then neither the call record nor
            // the merchant's hooks need reading before the event is raised (the shopper is waiting for an agent).
            if (!started.Known(callId) && await durable.GetInstanceAsync(callId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is null)
            {
                if (await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false) is not { } call)
                {
                    LogUnknownCall(logger, callId, e.Type);
                    return TypedResults.Ok(); // acknowledged, so ACS stops retrying; there is nothing to apply it to
                }

                // With the merchant's hooks as they are now, less call.before_dial: ACS has the call, so it was dialled.
                await starters.For(durable).RestartAsync(call, cancellationToken).ConfigureAwait(false);
            }

            started.Remember(callId);

            await durable.RaiseEventAsync(callId, CallOrchestrator.SignalEvent, new CallSignalEnvelope(signal), cancellationToken).ConfigureAwait(false);
            LogRaised(logger, callId, e.Type, signal.GetType().Name);
        }

        return TypedResults.Ok();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for call {CallId} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string callId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback for call {CallId}: {EventType} names call {Other}; ignored")]
    private static partial void LogMismatch(ILogger logger, string callId, string eventType, string other);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback {EventType} for unknown call {CallId}; acknowledged")]
    private static partial void LogUnknownCall(ILogger logger, string callId, string eventType);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Callback {EventType} for call {CallId} raised as {Signal}")]
    private static partial void LogRaised(ILogger logger, string callId, string eventType, string signal);
}
