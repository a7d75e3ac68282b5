using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Preferences;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCall.Domain.Tests.Calls.Flow;

/// <summary>Whatever arrives in whatever order (lost, repeated, reordered, stale), a call never waits without a deadline and always ends.</summary>
public sealed class CallFlowPropertyTests
{
    private const string Shopper = "4:+14255550123";
    private const string Agent = "4:+1999";
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private static Gen<CallSignal> Signals =>
        Gen.OneOf(
            Gen.Constant<CallSignal>(new Dialled("c")),
            Gen.Constant<CallSignal>(new DialRefused("no")),
            Gen.Constant<CallSignal>(new DialVetoed("h", "no")),
            Gen.Constant<CallSignal>(new ShopperConnected(T0, "c")),
            Gen.Elements(486, 480, 500).Select(c => (CallSignal)new ShopperNotReached(c, "x")),
            Gen.Choose(1, 3).Select(a => (CallSignal)new AgentInvited(a, "agent-" + a, Agent, "inv-" + a)),
            Gen.Choose(1, 3).Select(a => (CallSignal)new NoAgentAvailable(a)),
            Gen.Choose(1, 3).Select(a => (CallSignal)new AgentJoined(a)),
            Gen.Choose(1, 3).Select(a => (CallSignal)new AgentDidNotJoin(a, "x")),
            Gen.Choose(0, 9).Select(s => (CallSignal)new ParticipantsChanged(s, s % 3 == 0 ? [Shopper] : s % 3 == 1 ? [Shopper, Agent] : [])),
            Gen.Elements(CallFlow.Apology, CallFlow.Greeting).Select(w => (CallSignal)new PlayFinished(w)),
            Gen.Constant<CallSignal>(new Disconnected(null, "x")),
            Gen.Constant<CallSignal>(new HungUp()),
            Gen.Elements(Enum.GetValues<CallDeadlineKind>()).Select(k => (CallSignal)new DeadlinePassed(k)),
            Gen.Elements(true, false).Select(e => (CallSignal)new Reconciled(e, e ? [Shopper] : [])),
            Gen.Elements(true, false).Select(p => (CallSignal)new PrecheckDone(p, null)));

    private static Arbitrary<CallSignal[]> SignalRuns => Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Signals, n)).ToArbitrary();

    [Property(MaxTest = 500)]
    public Property AnySignals_ThenSilence_EndTheCall_AndNoStateWaitsWithoutADeadline() =>
        Prop.ForAll(SignalRuns, Gen.Elements(true, false).ToArbitrary(), (signals, scheduled) =>
        {
            var (state, waitsSafely, _) = Run(signals, scheduled);
            return (state.IsOver && waitsSafely).Label($"ended: {state.IsOver} in {state.Stage}; always waited with a deadline: {waitsSafely}");
        });

    [Property(MaxTest = 500)]
    public Property EveryInvitation_IsCancelledAtMostOnce_AndACancelledAgentNeverBecomesTheCallsAgent() =>
        Prop.ForAll(SignalRuns, signals =>
        {
            var (state, _, commands) = Run(signals, scheduled: false);
            var cancels = commands.OfType<CancelInvitation>().ToList();
            var once = cancels.Select(c => c.InvitationId).Distinct().Count() == cancels.Count;
            var neverJoined = cancels.TrueForAll(c => c.AgentId != state.AgentId);
            return (once && neverJoined).Label($"cancels: {string.Join(", ", cancels)}; the call's agent: {state.AgentId}");
        });

    /// <summary>The signals in turn, then only deadlines and "no such call" until the call ends (or 50 steps pass).</summary>
    private static (CallState State, bool WaitsSafely, List<CallCommand> Commands) Run(CallSignal[] signals, bool scheduled)
    {
        var now = T0;
        var step = CallFlow.Begin(new CallPlan("ca", CallMode.Phone, Shopper, scheduled ? T0.AddHours(1) : null, false, true, false, true), now, CallTimings.Default);
        var state = step.State;
        var commands = new List<CallCommand>(step.Commands);
        var waitsSafely = true;
        foreach (var signal in signals)
        {
            now += TimeSpan.FromSeconds(1);
            step = CallFlow.Apply(state, signal, now, CallTimings.Default);
            state = step.State;
            commands.AddRange(step.Commands);
            waitsSafely &= Waits(state);
        }

        // Then nothing more from the outside: only deadlines, and the service answering checks "no such call".
        for (var i = 0; i < 50 && !state.IsOver; i++)
        {
            CallSignal next = state switch
            {
                { Reconciling: true } => new Reconciled(false, []),
                { Stage: CallStage.Prechecking } => new PrecheckDone(true, null),
                { Deadline: { } d } => new DeadlinePassed(d.Kind),
                { Stage: CallStage.AddingAgent, InvitedAgentId: null } => new NoAgentAvailable(state.AgentAttempt),
                _ => throw new InvalidOperationException($"stuck in {state.Stage}"),
            };
            now = state.Deadline?.At ?? now;
            step = CallFlow.Apply(state, next, now, CallTimings.Default);
            state = step.State;
            commands.AddRange(step.Commands);
            waitsSafely &= Waits(state);
        }

        return (state, waitsSafely, commands);
    }

    /// <summary>A call that is not over waits for a deadline, for a check's answer, or for an activity's result that always comes.</summary>
    private static bool Waits(CallState s) =>
        s.IsOver || s.Deadline is not null || s.Reconciling || s.Stage == CallStage.Prechecking;
}
