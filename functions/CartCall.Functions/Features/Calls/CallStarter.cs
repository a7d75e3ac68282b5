using CartCall.Domain.Calls.Flow;
using Microsoft.DurableTask;
using CartCall.Domain.Preferences;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>Starts a recorded call's life. A port, so call admission can be exercised without a Durable engine.</summary>
public interface ICallStarter
{
    /// <summary>Starts the call's orchestration unless it runs already, and dials at once when the call is not scheduled.</summary>
    Task StartAsync(CallRecord call, CancellationToken cancellationToken);
}

/// <summary>
/// Starts the call's Durable orchestration under the call's id — a second start of the same call finds it and starts
/// nothing — and then places the call right away, because the shopper is waiting and the orchestration's first turn
/// can lag behind its queue's polling. The orchestration dials too, with the same repeatability id, so ACS answers its
/// dial as a repeat of this one: the call rings once, and it rings even if this process dies after the start.
/// </summary>
public sealed partial class DurableCallStarter(DurableTaskClient client, CallDialer dialer, IOptions<CallsOptions> options, ILogger<DurableCallStarter> logger) : ICallStarter
{
    public async Task StartAsync(CallRecord call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var input = InputFor(call, options.Value);
        if (await client.GetInstanceAsync(call.CallId, cancellationToken).ConfigureAwait(false) is null)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(CallOrchestrator), input, new StartOrchestrationOptions(call.CallId), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                // A concurrent start of the same call won; one orchestration it is.
            }
        }

        if (call.ScheduledFor is null && call.Status == CallStatus.Queued)
        {
            try
            {
                await dialer.DialAsync(call.CallId, 1, input.FirstDialSent, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The orchestration dials again with the same id: a failure here only costs the head start.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogEarlyDialFailed(e, call.CallId);
            }
        }
    }

    public static CallOrchestrationInput InputFor(CallRecord call, CallsOptions options)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(options);
        var shopper = call.Mode == CallMode.Phone ? "4:" + call.ShopperPhone : call.ShopperAcsUserId ?? "";
        var plan = new CallPlan(call.CallId, call.Mode, shopper, call.ScheduledFor, IsCallback: call.CallbackOf is not null,
            CallbackWhenNoAgent: true, HasGreeting: options.GreetingPromptUrl is not null, HasApology: options.ApologyPromptUrl is not null);
        return new CallOrchestrationInput(plan, options.Timings(), options.AgentUnavailableCallbackDelay, call.ScheduledFor ?? call.CreatedAt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: the accept's own dial failed; the orchestration dials")]
    private partial void LogEarlyDialFailed(Exception e, string callId);
}
