using CartCall.Domain.Calls.Flow;
using Microsoft.DurableTask;

namespace CartCall.Functions.Features.Calls;

/// <summary>What a call's orchestration starts from: the plan, how long each wait may last, and when the first dial was sent.</summary>
/// <param name="HookPoints">The call's lifecycle points the merchant had hooks at when the call was accepted (see <see cref="CallHookSteps"/>).</param>
/// <param name="BeforeDialDeadline">How long <c>call.before_dial</c>'s hooks may take; null: 2 s.</param>
public sealed record CallOrchestrationInput(
    CallPlan Plan, CallTimings Timings, TimeSpan CallbackDelay, DateTimeOffset FirstDialSent,
    IReadOnlyList<string>? HookPoints = null, TimeSpan? BeforeDialDeadline = null);

/// <summary>
/// A signal as it travels between the app and the orchestration (activity results, raised events): wrapped, so the
/// signal's kind is always written whatever the serializer's view of its static type.
/// </summary>
public sealed record CallSignalEnvelope(CallSignal Signal);

/// <summary>
/// The call as a Durable orchestration, instance id = call id (so a second accept can never start a second one). It
/// only drives the pure <see cref="CallFlow"/>: each command becomes an activity, each callback arrives as the external
/// event <see cref="SignalEvent"/>, and each wait races a durable timer, so every wait has a deadline. No clock, I/O or
/// randomness here: time is the orchestration's, everything else happens in <see cref="CallActivities"/>.
/// </summary>
public static class CallOrchestrator
{
    /// <summary>The external event every callback is raised as.</summary>
    public const string SignalEvent = "acs";

    /// <summary>Transient failures of an activity (storage, ACS 5xx) are retried before the flow hears of them.</summary>
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromMilliseconds(500), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(15)));

    [Function(nameof(CallOrchestrator))]
    public static Task<CallState> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(context, context.GetInput<CallOrchestrationInput>() ?? throw new InvalidOperationException("A call orchestration needs its input."));
    }

    public static async Task<CallState> RunAsync(TaskOrchestrationContext context, CallOrchestrationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var timings = input.Timings;
        var step = CallFlow.Begin(input.Plan, Now(context), timings);
        var state = step.State;
        var inbox = new Queue<CallSignal>();
        var hooks = new CallHookSteps(context, input);
        var run = new Effects(context, input, hooks);
        var callback = false;
        while (true)
        {
            foreach (var command in step.Commands)
            {
                if (command is ScheduleCallback)
                {
                    callback = true;
                    continue;
                }

                if (await run.ExecuteAsync(state, command).ConfigureAwait(true) is { } result)
                {
                    inbox.Enqueue(result);
                }
            }

            if (state.IsOver)
            {
                break;
            }

            if (inbox.Count == 0)
            {
                // Effects that answer nothing (the record, a release) run beside the rest; all are done before waiting.
                await run.SettleAsync().ConfigureAwait(true);
                hooks.FireDue(state.CallId);
            }

            var signal = inbox.Count > 0 ? inbox.Dequeue() : await NextSignalAsync(context, state).ConfigureAwait(true);
            step = CallFlow.Apply(state, signal, Now(context), timings);
            state = step.State;
            hooks.Notice(state);
        }

        await run.SettleAsync().ConfigureAwait(true);
        hooks.FireDue(state.CallId);

        if (callback)
        {
            // The one callback a call gets when nobody could take it: a call (and orchestration) of its own.
            await context.CallActivityAsync<string?>(nameof(CallActivities.CreateCallback), new CallbackRequest(state.CallId, input), Retried).ConfigureAwait(true);
        }

        await hooks.DrainAsync().ConfigureAwait(true);
        return state;
    }

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);

    /// <summary>The next callback, or the deadline's passing if it comes first.</summary>
    private static async Task<CallSignal> NextSignalAsync(TaskOrchestrationContext context, CallState state)
    {
        using var cancel = new CancellationTokenSource();
        var arrived = context.WaitForExternalEvent<CallSignalEnvelope>(SignalEvent, cancel.Token);
        if (state.Deadline is not { } deadline)
        {
            return (await arrived.ConfigureAwait(true)).Signal;
        }

        var timer = UntilAsync(context, deadline.At, cancel.Token);
        var first = await Task.WhenAny(arrived, timer).ConfigureAwait(true);
        // Whichever lost must not linger: a cancelled wait takes no later event, a cancelled timer never fires.
#pragma warning disable CA1849 // CancelAsync would await a non-durable task, which an orchestrator must never do.
        cancel.Cancel();
#pragma warning restore CA1849
        return first == arrived ? arrived.Result.Signal : new DeadlinePassed(deadline.Kind);
    }

    /// <summary>
    /// A durable timer for <paramref name="at"/>, waited again if it fires early: the Azure Storage provider hides a
    /// timer's message for whole seconds, so a timer can come up to a second before its time.
    /// </summary>
    private static async Task UntilAsync(TaskOrchestrationContext context, DateTimeOffset at, CancellationToken cancellationToken)
    {
        while (Now(context) < at)
        {
            await context.CreateTimer(at.UtcDateTime, cancellationToken).ConfigureAwait(true);
        }
    }

    /// <summary>
    /// Carries out the flow's commands as activities. Those whose result the flow needs are awaited in turn; the call
    /// record, agent releases and the like run beside them (fewer turns of the engine per call), numbered so a slower
    /// record never overwrites a newer one, and are all awaited before the orchestration waits or ends.
    /// </summary>
    private sealed class Effects(TaskOrchestrationContext context, CallOrchestrationInput input, CallHookSteps hooks)
    {
        private readonly List<Task> pending = [];
        /// <summary>By agent: what must be done (their invitation cancelled, their leg removed) before they are given back.</summary>
        private readonly Dictionary<string, Task> beforeRelease = new(StringComparer.Ordinal);
        private int records;

        public async Task SettleAsync()
        {
            if (pending.Count > 0)
            {
                await Task.WhenAll(pending).ConfigureAwait(true);
                pending.Clear();
                beforeRelease.Clear();
            }
        }

        public async Task<CallSignal?> ExecuteAsync(CallState state, CallCommand command)
        {
            var callId = state.CallId;
            switch (command)
            {
                case RecordCall:
                    pending.Add(context.CallActivityAsync(nameof(CallActivities.RecordCallState), new RecordRequest(state, Now(context), ++records), Retried));
                    return null;
                case CancelInvitation cancel:
                    // Beside the next invite: the flow has moved on, and a cancel that fails for good leaves only ACS's own
                    // ring timeout to end the invitation, which is no reason to fail the call.
                    beforeRelease[cancel.AgentId] = QuietlyAsync(nameof(CallActivities.CancelAgentInvitation), new CancelInvitationRequest(callId, state.CallConnectionId, cancel.AgentId, cancel.Attempt, cancel.InvitationId, Now(context)));
                    pending.Add(beforeRelease[cancel.AgentId]);
                    return null;
                case RemoveParticipant remove:
                    // Beside the call going on: a removal that fails for good leaves the agent's leg until they or the
                    // call hang up, which is no reason to fail the call.
                    beforeRelease[remove.AgentId] = QuietlyAsync(nameof(CallActivities.RemoveAgentFromCall), new RemoveAgentRequest(callId, state.CallConnectionId, remove.AgentId, remove.RawId, Now(context)));
                    pending.Add(beforeRelease[remove.AgentId]);
                    return null;
                case ReleaseAgent release:
                    // An agent whose invitation is being cancelled, or whose leg is being removed, is given back once that is
                    // done: free while still ringing or on the line here, they could be offered another call.
                    pending.Add(ReleaseAsync(new ReleaseRequest(callId, release.AgentId, release.Talked), beforeRelease.Remove(release.AgentId, out var first) ? first : null));
                    return null;
                case PublishEnded:
                    // CallEnded is built from the record: the final one must be stored first.
                    await SettleAsync().ConfigureAwait(true);
                    await context.CallActivityAsync(nameof(CallActivities.PublishCallEnded), callId, Retried).ConfigureAwait(true);
                    // Metered and settled exactly once, from the same final record (issue 13).
                    await Billing.BillingActivities.SettleAsync(context, callId).ConfigureAwait(true);
                    hooks.Settled(callId);
                    return null;
                case Dial dial:
                    if (dial.Attempt == 1 && await hooks.BeforeDialAsync(callId).ConfigureAwait(true) is { } stopped)
                    {
                        return stopped;
                    }

                    var firstSent = dial.Attempt == 1 ? input.FirstDialSent : Now(context);
                    return await SignalAsync(nameof(CallActivities.DialShopper), new DialRequest(callId, dial.Attempt, firstSent),
                        failure => new DialRefused($"dialling failed after retries: {failure}")).ConfigureAwait(true);
                case Precheck:
                    return await SignalAsync(nameof(CallActivities.PrecheckCall), callId, failure => new PrecheckDone(false, failure)).ConfigureAwait(true);
                case InviteAgent invite:
                    return await SignalAsync(nameof(CallActivities.InviteAgent), new InviteRequest(callId, state.CallConnectionId, invite.Attempt, invite.AlreadyTried),
                        _ => new NoAgentAvailable(invite.Attempt)).ConfigureAwait(true);
                case PlayPrompt play:
                    var started = await context.CallActivityAsync<bool>(nameof(CallActivities.PlayPrompt), new PlayRequestInput(callId, state.CallConnectionId, play.What), Retried).ConfigureAwait(true);
                    // A prompt that could not start has finished, as far as the flow is concerned.
                    return started ? null : new PlayFinished(play.What);
                case HangUp:
                    await context.CallActivityAsync(nameof(CallActivities.HangUpCall), new HangUpRequest(callId, state.CallConnectionId), Retried).ConfigureAwait(true);
                    return new HungUp();
                case Reconcile:
                    return await SignalAsync(nameof(CallActivities.ReconcileCall), new ReconcileRequest(callId, state.CallConnectionId),
                        failure => new ReconcileFailed(failure)).ConfigureAwait(true);
                default:
                    throw new InvalidOperationException($"The call orchestration cannot carry out {command.GetType().Name}.");
            }
        }

        private async Task ReleaseAsync(ReleaseRequest request, Task? after)
        {
            if (after is not null)
            {
                await after.ConfigureAwait(true);
            }

            await context.CallActivityAsync(nameof(CallActivities.ReleaseAgent), request, Retried).ConfigureAwait(true);
        }

        /// <summary>An effect the call does not depend on: retried, and then let go (a cancel's invitation still ends at ACS's ring timeout, a removed agent's leg when they or the call hang up).</summary>
        private async Task QuietlyAsync(string activity, object request)
        {
            try
            {
                await context.CallActivityAsync(activity, request, Retried).ConfigureAwait(true);
            }
            catch (TaskFailedException)
            {
                // Retried already.
            }
        }

        private async Task<CallSignal> SignalAsync(string activity, object request, Func<string, CallSignal> whenFailed)
        {
            try
            {
                var envelope = await context.CallActivityAsync<CallSignalEnvelope>(activity, request, Retried).ConfigureAwait(true);
                return envelope.Signal;
            }
            catch (TaskFailedException e)
            {
                return whenFailed(e.FailureDetails.ErrorMessage);
            }
        }
    }
}

/// <summary>The call's state to record; <paramref name="Sequence"/> orders records made beside each other.</summary>
public sealed record RecordRequest(CallState State, DateTimeOffset At, int Sequence);

public sealed record DialRequest(string CallId, int Attempt, DateTimeOffset FirstSent);

public sealed record InviteRequest(string CallId, string? CallConnectionId, int Attempt, IReadOnlyList<string> AlreadyTried);

/// <param name="At">When the flow cancelled (the orchestration's time): the first-sent time of the cancel's repeatability id.</param>
public sealed record CancelInvitationRequest(string CallId, string? CallConnectionId, string AgentId, int Attempt, string InvitationId, DateTimeOffset At);

/// <param name="At">When the flow decided (the orchestration's time): the first-sent time of the removal's repeatability id.</param>
public sealed record RemoveAgentRequest(string CallId, string? CallConnectionId, string AgentId, string AgentRawId, DateTimeOffset At);

public sealed record ReleaseRequest(string CallId, string AgentId, bool Talked);

public sealed record PlayRequestInput(string CallId, string? CallConnectionId, string What);

public sealed record HangUpRequest(string CallId, string? CallConnectionId);

public sealed record ReconcileRequest(string CallId, string? CallConnectionId);

public sealed record CallbackRequest(string CallId, CallOrchestrationInput Original);
