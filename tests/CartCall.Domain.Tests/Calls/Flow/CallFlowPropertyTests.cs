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

    /// <summary>Each attempt's agent has an identifier of their own, so a picture can show any of them on the call.</summary>
    private static string AgentRaw(int attempt) => "4:+199" + attempt;
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);

    private static Gen<CallSignal> Signals =>
        Gen.OneOf(
            Gen.Constant<CallSignal>(new Dialled("c")),
            Gen.Constant<CallSignal>(new DialRefused("no")),
            Gen.Constant<CallSignal>(new DialVetoed("h", "no")),
            Gen.Constant<CallSignal>(new ShopperConnected(T0, "c")),
            Gen.Elements(486, 480, 500).Select(c => (CallSignal)new ShopperNotReached(c, "x")),
            Gen.Choose(1, 3).Select(a => (CallSignal)new AgentInvited(a, "agent-" + a, AgentRaw(a), "inv-" + a)),
            Gen.Choose(1, 3).Select(a => (CallSignal)new NoAgentAvailable(a)),
            Gen.Choose(1, 3).SelectMany(a => Gen.Elements<string?>(null, AgentRaw(a)).Select(raw => (CallSignal)new AgentJoined(a, raw))),
            Gen.Choose(1, 3).Select(a => (CallSignal)new AgentDidNotJoin(a, "x")),
            // Who is on: the shopper or not, and any of the agents (the call's, or ones the flow gave up on).
            Gen.Choose(0, 9).SelectMany(s => Gen.Choose(0, 15).Select(on => (CallSignal)new ParticipantsChanged(s, OnTheCall(on)))),
            Gen.Elements(CallFlow.Apology, CallFlow.Greeting).Select(w => (CallSignal)new PlayFinished(w)),
            Gen.Constant<CallSignal>(new Disconnected(null, "x")),
            Gen.Constant<CallSignal>(new HungUp()),
            Gen.Elements(Enum.GetValues<CallDeadlineKind>()).Select(k => (CallSignal)new DeadlinePassed(k)),
            Gen.Choose(0, 15).SelectMany(on => Gen.Elements(true, false).Select(e => (CallSignal)new Reconciled(e, e ? OnTheCall(on) : []))),
            Gen.Elements(true, false).Select(p => (CallSignal)new PrecheckDone(p, null)));

    /// <summary>Bit 0: the shopper; bits 1-3: the agents of attempts 1-3.</summary>
    private static string[] OnTheCall(int bits) =>
        [.. new[] { Shopper, AgentRaw(1), AgentRaw(2), AgentRaw(3) }.Where((_, i) => (bits & (1 << i)) != 0)];

    private static Arbitrary<CallSignal[]> SignalRuns => Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Signals, n)).ToArbitrary();

    [Property(MaxTest = 500)]
    public Property AnySignals_ThenSilence_EndTheCall_AndNoStateWaitsWithoutADeadline() =>
        Prop.ForAll(SignalRuns, Gen.Elements(true, false).ToArbitrary(), (signals, scheduled) =>
        {
            var (state, waitsSafely, _, _) = Run(signals, scheduled);
            return (state.IsOver && waitsSafely).Label($"ended: {state.IsOver} in {state.Stage}; always waited with a deadline: {waitsSafely}");
        });

    [Property(MaxTest = 500)]
    public Property EveryInvitation_IsCancelledAtMostOnce_AndACancelledAgentNeverBecomesTheCallsAgent() =>
        Prop.ForAll(SignalRuns, signals =>
        {
            var (state, _, commands, _) = Run(signals, scheduled: false);
            var cancels = commands.OfType<CancelInvitation>().ToList();
            var once = cancels.Select(c => c.InvitationId).Distinct().Count() == cancels.Count;
            var neverJoined = cancels.TrueForAll(c => c.AgentId != state.AgentId);
            return (once && neverJoined).Label($"cancels: {string.Join(", ", cancels)}; the call's agent: {state.AgentId}");
        });

    [Property(MaxTest = 500)]
    public Property AnAgentTakenOffTheCall_IsNeverTheCurrentAgent_NorTheShopper_AndNobodyIsTakenOffTwice() =>
        Prop.ForAll(SignalRuns, signals =>
        {
            var (state, _, commands, removedACurrentAgent) = Run(signals, scheduled: false);
            var removals = commands.OfType<RemoveParticipant>().ToList();
            var once = removals.Select(r => r.AgentId).Distinct().Count() == removals.Count;
            var neverTheShopper = removals.TrueForAll(r => r.RawId != Shopper);
            var neverTheCallsAgent = removals.TrueForAll(r => r.AgentId != state.AgentId);
            // Each removal also gives that agent back, after it.
            var releasedAfter = removals.TrueForAll(r => commands.IndexOf(new ReleaseAgent(r.AgentId, false), commands.IndexOf(r)) > commands.IndexOf(r));
            return (once && neverTheShopper && neverTheCallsAgent && releasedAfter && !removedACurrentAgent)
                .Label($"removals: {string.Join(", ", removals)}; the call's agent: {state.AgentId}; one of the agent current then: {removedACurrentAgent}");
        });

    /// <summary>The signals in turn, then only deadlines and "no such call" until the call ends (or 50 steps pass).</summary>
    /// <returns>The end state, whether every state waited safely, all commands, and whether any step took off the call the agent it left current (invited or talking).</returns>
    private static (CallState State, bool WaitsSafely, List<CallCommand> Commands, bool RemovedACurrentAgent) Run(CallSignal[] signals, bool scheduled)
    {
        var now = T0;
        var step = CallFlow.Begin(new CallPlan("ca", CallMode.Phone, Shopper, scheduled ? T0.AddHours(1) : null, false, true, false, true), now, CallTimings.Default);
        var state = step.State;
        var commands = new List<CallCommand>(step.Commands);
        var waitsSafely = true;
        var removedACurrentAgent = false;
        foreach (var signal in signals)
        {
            now += TimeSpan.FromSeconds(1);
            step = CallFlow.Apply(state, signal, now, CallTimings.Default);
            state = step.State;
            commands.AddRange(step.Commands);
            waitsSafely &= Waits(state);
            removedACurrentAgent |= step.Commands.OfType<RemoveParticipant>().Any(r => r.AgentId == state.InvitedAgentId || r.AgentId == state.AgentId || r.RawId == state.InvitedAgentRawId);
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
            removedACurrentAgent |= step.Commands.OfType<RemoveParticipant>().Any(r => r.AgentId == state.InvitedAgentId || r.AgentId == state.AgentId || r.RawId == state.InvitedAgentRawId);
        }

        return (state, waitsSafely, commands, removedACurrentAgent);
    }

    /// <summary>A call that is not over waits for a deadline, for a check's answer, or for an activity's result that always comes.</summary>
    private static bool Waits(CallState s) =>
        s.IsOver || s.Deadline is not null || s.Reconciling || s.Stage == CallStage.Prechecking;
}
