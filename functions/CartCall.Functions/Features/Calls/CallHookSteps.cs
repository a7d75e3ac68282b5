using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using Microsoft.DurableTask;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// The merchant's hooks inside a call's orchestration (kept out of <see cref="CallOrchestrator"/> so its own logic
/// stays as it was). Only the points the merchant had hooks at when the call was accepted are run
/// (<see cref="CallOrchestrationInput.HookPoints"/>), so a merchant without hooks costs the call nothing.
/// <list type="bullet">
/// <item><c>call.before_dial</c> runs before the first dial, awaited, with its deadline: the fan-out races a durable
/// timer and the call goes on with the answers it has. A veto (or a fail-closed hook without an answer) stops the call
/// before it rings.</item>
/// <item><c>call.connected</c> and <c>call.ended</c> are after the fact: their fan-out starts once the call's record
/// shows the step (the event is built from it) and runs beside the call, which never waits for it; the orchestration
/// only collects them after the call is over, recorded and published.</item>
/// <item><c>charge.captured</c> starts once the ended call is settled (its hold captured), also beside the rest.</item>
/// </list>
/// The fan-outs run inline in the call's orchestration (<see cref="HookFanOutOrchestrator.RunAsync"/> on this context),
/// not as sub-orchestrations: the local durable engine (the Durable Task sidecar over DurableTask.AzureStorage) cannot
/// read back the message that starts a sub-orchestration (its protobuf tags map is written with a type name that does
/// not resolve). Inline, every hook activity is in the call's own history, so a replay of the call never runs one twice.
/// </summary>
internal sealed class CallHookSteps(TaskOrchestrationContext context, CallOrchestrationInput input)
{
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromMilliseconds(250), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(5)));

    private readonly List<string> due = [];
    private readonly List<Task> running = [];
    private bool connectedNoticed;
    private bool endedNoticed;
    private bool beforeDialRun;

    private bool Listens(string point) => input.HookPoints?.Contains(point, StringComparer.Ordinal) == true;

    private DateTimeOffset Now => new(context.CurrentUtcDateTime, TimeSpan.Zero);

    /// <summary>Before the call's first dial: null to dial, or the signal that ends the call instead.</summary>
    public async Task<CallSignal?> BeforeDialAsync(string callId)
    {
        if (beforeDialRun || !Listens(HookPoints.CallBeforeDial))
        {
            return null;
        }

        beforeDialRun = true;
        var fanOut = new HookFanOutInput(HookPoints.CallBeforeDial, callId, null, null, Now, input.BeforeDialDeadline ?? DefaultBeforeDialDeadline);
        try
        {
            var result = await HookFanOutOrchestrator.RunAsync(context, fanOut).ConfigureAwait(true);
            if (result.Decision.Proceed && (result.Decision.AgentId is not null || result.Decision.Enrichment.Count > 0))
            {
                // Before the dial, so the agent invitation and the agent console find them on the call.
                await context.CallActivityAsync(nameof(CallHookActivities.RecordHookDecision), new HookDecisionRecord(callId, result.Decision), Retried).ConfigureAwait(true);
            }

            return result.Decision.Proceed
                ? null
                : new DialVetoed(result.Decision.StoppedBy ?? "?", result.Decision.ShopperMessage ?? HookAggregation.DefaultShopperMessage);
        }
        catch (TaskFailedException)
        {
            // The fan-out's planning failed after its retries (not a hook: those are outcomes): the call goes on, as for
            // a hook that timed out.
            return null;
        }
    }

    /// <summary>Notes the after-the-fact steps the state has reached; <see cref="FireDue"/> starts them once recorded.</summary>
    public void Notice(CallState state)
    {
        if (!connectedNoticed && state.Stage == CallStage.Talking)
        {
            connectedNoticed = true;
            if (Listens(HookPoints.CallConnected))
            {
                due.Add(HookPoints.CallConnected);
            }
        }

        if (!endedNoticed && state.IsOver)
        {
            endedNoticed = true;
            if (Listens(HookPoints.CallEnded))
            {
                due.Add(HookPoints.CallEnded);
            }
        }
    }

    /// <summary>Starts the noticed steps' fan-outs without waiting for them (call it once the call's record is stored).</summary>
    public void FireDue(string callId)
    {
        foreach (var point in due)
        {
            // Not awaited here: the call goes on while a notification's hooks run; <see cref="DrainAsync"/> collects them.
            running.Add(NotifyAsync(new HookFanOutInput(point, callId, null, null, Now)));
        }

        due.Clear();
    }

    /// <summary>
    /// After the call's settlement: starts <c>charge.captured</c>'s fan-out beside the rest, as a notification. Whether
    /// there was a charge is the planning activity's to read (the hold's record), not the orchestration's: a call whose
    /// hold was released, or that had none, plans no hook.
    /// </summary>
    public void Settled(string callId)
    {
        if (Listens(HookPoints.ChargeCaptured))
        {
            running.Add(NotifyAsync(new HookFanOutInput(HookPoints.ChargeCaptured, callId, null, null, Now)));
        }
    }

    /// <summary>Waits for the notifications still running: the orchestration must not end before its hooks have run.</summary>
    public async Task DrainAsync()
    {
        if (running.Count > 0)
        {
            await Task.WhenAll(running).ConfigureAwait(true);
            running.Clear();
        }
    }

    private async Task NotifyAsync(HookFanOutInput fanOut)
    {
        try
        {
            await HookFanOutOrchestrator.RunAsync(context, fanOut).ConfigureAwait(true);
        }
        catch (TaskFailedException)
        {
            // Planning failed after its retries: nothing a notification could change; the call is unaffected.
        }
    }

    public static readonly TimeSpan DefaultBeforeDialDeadline = TimeSpan.FromSeconds(2);

    /// <summary>How a hook's stop reads in the call's detail.</summary>
    public const string StoppedPrefix = CallFlow.VetoedPrefix;
}
