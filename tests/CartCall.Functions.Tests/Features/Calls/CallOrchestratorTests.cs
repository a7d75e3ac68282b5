using System.Collections.Concurrent;
using System.Diagnostics;
using CartCall.Domain.Calls;
using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// The call's orchestration on Microsoft's in-memory Durable Task test host: the real <see cref="CallOrchestrator"/>
/// with its activities replaced by fakes that only record what they were asked and answer as ACS and the stores would.
/// Callbacks are raised as the app raises them. Every wait of the call is set to an hour unless the test is about it, so
/// no durable timer fires behind a test's back; each test waits for what the orchestration did, never for time.
/// </summary>
public sealed class CallOrchestratorTests(InMemoryCallHost host) : IClassFixture<InMemoryCallHost>
{
    [Fact]
    public async Task PhoneCall_ShopperAnswers_AgentJoins_ShopperHangsUp_Completes()
    {
        var call = host.NewCall(agents: ["alice"]);
        await call.StartAsync();

        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.WaitUntilAsync(c => c.Invites.Count == 1, "the agent's invitation");
        await call.RaiseAsync(new AgentJoined(1));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallOutcomes.Completed, final.Outcome);
        Assert.False(final.Failed);
        Assert.Equal("alice", final.AgentId);
        Assert.Equal(InMemoryCallHost.Connection(call.Id), final.CallConnectionId);
        Assert.Equal([CallStage.Dialing, CallStage.AddingAgent, CallStage.Talking, CallStage.Ended], call.Stages.Distinct());
        Assert.Equal(1, call.Dials[0].Attempt);
        Assert.Equal([("alice", true)], call.Releases);
        Assert.Equal(1, call.Published);
        Assert.Equal(1, call.Settled);
        Assert.Equal(0, call.HangUps);
    }

    [Fact]
    public async Task BrowserCall_TheParticipantsPictureBringsTalking_TheShopperLeaving_EndsIt()
    {
        var call = host.NewCall(agents: ["bob"], mode: CallMode.Browser);
        await call.StartAsync();

        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, InMemoryCallHost.Connection(call.Id)));
        await call.WaitUntilAsync(c => c.Invites.Count == 1, "the agent's invitation");
        // A browser agent's join is seen in the participants picture before (or instead of) its own callback.
        await call.RaiseAsync(new ParticipantsChanged(1, [call.ShopperRawId, InMemoryCallHost.RawIdOf("bob")]));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        await call.RaiseAsync(new ParticipantsChanged(2, [InMemoryCallHost.RawIdOf("bob")]));
        await call.WaitUntilAsync(c => c.HangUps == 1, "the agent's leg hung up");
        await call.RaiseAsync(new Disconnected(200, "The call was terminated."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallMode.Browser, final.Mode);
        Assert.StartsWith("8:acs:", final.ShopperRawId, StringComparison.Ordinal);
        Assert.Equal(CallOutcomes.Completed, final.Outcome);
        Assert.Equal("the shopper left", final.Detail);
        Assert.Equal("bob", final.AgentId);
        Assert.Equal([("bob", true)], call.Releases);
        Assert.Equal(1, call.Published);
    }

    [Fact]
    public async Task DoubleAccept_StartsOneOrchestration_AndDialsOnce()
    {
        var call = host.NewCall(agents: ["alice"]);

        // Two accepts of the same offer at once, and a third after the first has begun: one call id, one instance.
        await Task.WhenAll(call.StartAsync(), call.StartAsync());
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.StartAsync();
        await call.RaiseAsync(new ShopperNotReached(486, "Callee is busy."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallOutcomes.ShopperBusy, final.Outcome);
        Assert.Single(call.Dials);
        // Each start of an orchestration records the call once as it begins (sequence 1).
        Assert.Single(call.Records, r => r.Sequence == 1);
        Assert.Equal(1, call.Published);
    }

    [Fact]
    public async Task RepeatedAndLateCallbacks_ChangeNothing()
    {
        var call = host.NewCall(agents: ["alice", "bob"]);
        await call.StartAsync();
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");

        // ACS delivers at least once: every callback twice.
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.WaitUntilAsync(c => c.Invites.Count == 1, "the agent's invitation");
        await call.RaiseAsync(new ParticipantsChanged(5, [call.ShopperRawId]));
        await call.RaiseAsync(new AgentJoined(1));
        await call.RaiseAsync(new AgentJoined(1));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        // Late: the invitation's failure after its success, an older participants picture without the agent, a join of
        // an attempt that never was.
        await call.RaiseAsync(new AgentDidNotJoin(1, "408 late"));
        await call.RaiseAsync(new ParticipantsChanged(4, [call.ShopperRawId]));
        await call.RaiseAsync(new AgentJoined(7));
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallOutcomes.Completed, final.Outcome);
        Assert.Equal("alice", final.AgentId);
        Assert.Single(call.Dials);
        Assert.Single(call.Invites);
        Assert.Equal(0, call.HangUps);
        Assert.Equal([("alice", true)], call.Releases);
        Assert.Equal(1, call.Published);
        Assert.Equal(1, call.Settled);
        Assert.Equal(["alice"], final.AgentsTried);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAgentStillRingingAtTheInvitationsDeadline_IsCancelledOnce_ThenGivenBack_AndTheNextAgentTakesTheCall(bool cancelKeepsFailing)
    {
        // Each invitation's deadline is 5 s: the first agent's runs out unanswered, and the second agent's join, raised
        // as soon as their invitation is seen, must reach the flow before theirs does (1 s was too short at load).
        var timings = new CallTimings(
            Ringing: TimeSpan.FromHours(1), AgentInvitation: TimeSpan.FromSeconds(5), CheckInterval: TimeSpan.FromHours(1),
            MaxCallLength: TimeSpan.FromHours(2), Prompt: TimeSpan.FromHours(1), HangUp: TimeSpan.FromHours(1));
        var call = host.NewCall(agents: ["first", "second"], timings: timings);
        call.CancelsFail = cancelKeepsFailing;
        call.OnCall = [call.ShopperRawId];
        await call.StartAsync();
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));

        // Nothing is heard of the first agent: the deadline's check finds only the shopper on the call.
        await call.WaitUntilAsync(c => c.Invites.Count == 2, "the second invitation");
        await call.RaiseAsync(new AgentJoined(2));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        var final = await call.CompletedAsync();

        Assert.Equal(new CancelInvitationRequest(call.Id, InMemoryCallHost.Connection(call.Id), "first", 1, "inv-1", call.Cancels[0].At), Assert.Single(call.Cancels));
        Assert.Equal("second", final.AgentId);
        Assert.Equal([("first", false), ("second", true)], call.Releases);
        Assert.Empty(call.Removals);
        // Given back only once the cancel is over (however it ended), so the agent is not offered a call while ringing.
        var log = call.Log.ToList();
        Assert.True(log.LastIndexOf("cancel first") < log.IndexOf("release first"), string.Join(", ", log));
        Assert.Equal(cancelKeepsFailing ? 5 : 1, log.Count(e => e == "cancel first"));
        Assert.Equal(CallOutcomes.Completed, final.Outcome);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAgentWhoAnswersAsTheirInvitationIsCancelled_IsTakenOffTheCallOnce_ThenGivenBack_AndTheNextAgentKeepsTheCall(bool removalKeepsFailing)
    {
        // Each invitation's deadline is 5 s: the first agent's runs out unanswered, and the second agent's join, raised
        // as soon as their invitation is seen, must reach the flow before theirs does (1 s was too short at load).
        var timings = new CallTimings(
            Ringing: TimeSpan.FromHours(1), AgentInvitation: TimeSpan.FromSeconds(5), CheckInterval: TimeSpan.FromHours(1),
            MaxCallLength: TimeSpan.FromHours(2), Prompt: TimeSpan.FromHours(1), HangUp: TimeSpan.FromHours(1));
        var call = host.NewCall(agents: ["first", "second"], timings: timings);
        call.RemovalsFail = removalKeepsFailing;
        call.OnCall = [call.ShopperRawId];
        await call.StartAsync();
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.WaitUntilAsync(c => c.Invites.Count == 2 && c.Releases.Count == 1, "the second invitation");

        // The first agent picked up as the cancel was on its way: their join, then a picture with them beside the shopper.
        await call.RaiseAsync(new AgentJoined(1, InMemoryCallHost.RawIdOf("first")));
        await call.RaiseAsync(new ParticipantsChanged(1, [call.ShopperRawId, InMemoryCallHost.RawIdOf("first")]));
        await call.RaiseAsync(new AgentJoined(2, InMemoryCallHost.RawIdOf("second")));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        var final = await call.CompletedAsync();

        var removal = Assert.Single(call.Removals);
        Assert.Equal(new RemoveAgentRequest(call.Id, InMemoryCallHost.Connection(call.Id), "first", InMemoryCallHost.RawIdOf("first"), removal.At), removal);
        Assert.Equal("second", final.AgentId);
        Assert.Equal(["first"], final.AgentsRemoved);
        // Given back again only once off the call (the release at the give-up already did; again changes nothing).
        var log = call.Log.ToList();
        Assert.True(log.LastIndexOf("remove first") < log.LastIndexOf("release first"), string.Join(", ", log));
        Assert.Equal(removalKeepsFailing ? 5 : 1, log.Count(e => e == "remove first"));
        Assert.Equal(CallOutcomes.Completed, final.Outcome);
        Assert.Contains(("second", true), call.Releases);
    }

    [Fact]
    public async Task AgentDoesNotJoin_TheirReservationIsReleased_AndTheNextAgentIsInvited()
    {
        var call = host.NewCall(agents: ["first", "second"]);
        await call.StartAsync();
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.WaitUntilAsync(c => c.Invites.Count == 1, "the first invitation");

        await call.RaiseAsync(new AgentDidNotJoin(1, "408/0 Call was not answered."));
        await call.WaitUntilAsync(c => c.Invites.Count == 2, "the second invitation");
        await call.RaiseAsync(new AgentJoined(2));
        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking");
        await call.RaiseAsync(new Disconnected(200, "The conversation has ended."));
        var final = await call.CompletedAsync();

        Assert.Equal(2, call.Invites[1].Attempt);
        Assert.Equal(["first"], call.Invites[1].AlreadyTried);
        Assert.Equal("second", final.AgentId);
        Assert.Equal(["first", "second"], final.AgentsTried);
        Assert.Equal([("first", false), ("second", true)], call.Releases);
        Assert.Equal(CallOutcomes.Completed, final.Outcome);
    }

    [Fact]
    public async Task NoAgentLeft_EndsAsAgentUnavailable_AndAsksForTheOneCallback()
    {
        var call = host.NewCall(agents: ["only"]);
        await call.StartAsync();
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial");
        await call.RaiseAsync(new ShopperConnected(DateTimeOffset.UtcNow, null));
        await call.WaitUntilAsync(c => c.Invites.Count == 1, "the invitation");
        await call.RaiseAsync(new AgentDidNotJoin(1, "408/0 Call was not answered."));
        await call.WaitUntilAsync(c => c.HangUps == 1, "the hang-up");
        await call.RaiseAsync(new Disconnected(200, "The call was terminated."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallOutcomes.AgentUnavailable, final.Outcome);
        Assert.Null(final.AgentId);
        Assert.Equal([("only", false)], call.Releases);
        Assert.Equal(1, call.Callbacks);
    }

    [Fact]
    public async Task NoCallbackAfterTheDial_TheChecksFindShopperAndAgent_AndEndTheCallWhenTheShopperLeaves()
    {
        // Checks every second and the invitation's deadline after two; nothing else fires for an hour. The fake ACS has
        // shopper and agent on the call from the start, as if both answered and every callback was lost.
        var timings = new CallTimings(
            Ringing: TimeSpan.FromHours(1), AgentInvitation: TimeSpan.FromSeconds(2), CheckInterval: TimeSpan.FromSeconds(1),
            MaxCallLength: TimeSpan.FromHours(2), Prompt: TimeSpan.FromHours(1), HangUp: TimeSpan.FromSeconds(1));
        var call = host.NewCall(agents: ["alice"], timings: timings);
        call.OnCall = [call.ShopperRawId, InMemoryCallHost.RawIdOf("alice")];
        await call.StartAsync();

        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Talking), "talking, found by the checks");
        // The shopper hangs up and that callback is lost too: the next check sees them gone.
        call.OnCall = [InMemoryCallHost.RawIdOf("alice")];
        var final = await call.CompletedAsync();

        Assert.Equal(CallOutcomes.Completed, final.Outcome);
        Assert.Equal("the shopper left", final.Detail);
        Assert.Equal("alice", final.AgentId);
        Assert.Single(call.Dials);
        Assert.Single(call.Invites);
        // The agent's leg was hung up, and the check after it found the call gone at ACS.
        Assert.Equal(1, call.HangUps);
        Assert.True(call.Reconciles >= 4, $"{call.Reconciles} checks");
        Assert.Equal(1, call.Published);
        Assert.Equal([("alice", true)], call.Releases);
    }

    [Fact]
    public async Task ScheduledCall_WaitsOnADurableTimer_ChecksAgain_ThenDials()
    {
        // Ten seconds ahead: the orchestration's first turn comes well before, so the call starts out scheduled.
        var due = DateTimeOffset.UtcNow.AddSeconds(10);
        var call = host.NewCall(agents: ["alice"], notBefore: due);
        await call.StartAsync();

        await call.WaitUntilAsync(c => c.Stages.Contains(CallStage.Scheduled), "the scheduled record", TimeSpan.FromSeconds(60));
        Assert.Empty(call.Dials);
        await call.WaitUntilAsync(c => c.Dials.Count == 1, "the dial at its time", TimeSpan.FromSeconds(60));
        await call.RaiseAsync(new ShopperNotReached(408, "Call was not answered."));
        var final = await call.CompletedAsync();

        Assert.Equal(CallStage.Scheduled, call.Stages[0]);
        var precheck = Assert.Single(call.Prechecks);
        Assert.True(precheck >= due, $"checked at {precheck:O}, due {due:O}");
        Assert.True(call.DialedAt[0] >= precheck);
        Assert.Equal(CallOutcomes.ShopperNoAnswer, final.Outcome);
    }
}

/// <summary>
/// The in-memory Durable Task test host with the call orchestrator and fakes of its activities, shared by a test class;
/// each test's call has an id of its own, so the fakes keep what they saw per call.
/// </summary>
public sealed class InMemoryCallHost : IAsyncLifetime
{
    private static readonly CallTimings Hour = new(
        Ringing: TimeSpan.FromHours(1), AgentInvitation: TimeSpan.FromHours(1), CheckInterval: TimeSpan.FromHours(1),
        MaxCallLength: TimeSpan.FromHours(2), Prompt: TimeSpan.FromHours(1), HangUp: TimeSpan.FromHours(1));

    private readonly ConcurrentDictionary<string, FakeCall> calls = new(StringComparer.Ordinal);
    private DurableTaskTestHost? host;

    public DurableTaskClient Client => host?.Client ?? throw new InvalidOperationException("The host is not started.");

    public static string Connection(string callId) => "conn-" + callId;

    public static string RawIdOf(string agentId) => "8:acs:resource_agent-" + agentId;

    public FakeCall NewCall(IReadOnlyList<string> agents, CallMode mode = CallMode.Phone, DateTimeOffset? notBefore = null, CallTimings? timings = null)
    {
        var id = "call_" + Guid.NewGuid().ToString("N")[..16];
        var shopper = mode == CallMode.Phone ? "4:+12015550199" : "8:acs:resource_shopper-" + id;
        var plan = new CallPlan(id, mode, shopper, notBefore, IsCallback: false, CallbackWhenNoAgent: true, HasGreeting: false, HasApology: false);
        var call = new FakeCall(this, new CallOrchestrationInput(plan, timings ?? Hour, TimeSpan.FromMinutes(15), notBefore ?? DateTimeOffset.UtcNow), agents);
        calls[id] = call;
        return call;
    }

    public async Task InitializeAsync()
    {
        host = await DurableTaskTestHost.StartAsync(tasks =>
        {
            tasks.AddOrchestrator(nameof(CallOrchestrator), () => new CallOrchestration());
            tasks.AddActivityFunc<RecordRequest>(nameof(CallActivities.RecordCallState), (_, r) => Of(r.State.CallId).Record(r));
            tasks.AddActivityFunc<DialRequest, CallSignalEnvelope>(nameof(CallActivities.DialShopper), (_, r) => Of(r.CallId).Dial(r));
            tasks.AddActivityFunc<string, CallSignalEnvelope>(nameof(CallActivities.PrecheckCall), (_, id) => Of(id).Precheck());
            tasks.AddActivityFunc<InviteRequest, CallSignalEnvelope>(nameof(CallActivities.InviteAgent), (_, r) => Of(r.CallId).Invite(r));
            tasks.AddActivityFunc<ReleaseRequest>(nameof(CallActivities.ReleaseAgent), (_, r) => Of(r.CallId).Release(r));
            tasks.AddActivityFunc<CancelInvitationRequest>(nameof(CallActivities.CancelAgentInvitation), (_, r) => Of(r.CallId).Cancel(r));
            tasks.AddActivityFunc<RemoveAgentRequest>(nameof(CallActivities.RemoveAgentFromCall), (_, r) => Of(r.CallId).Remove(r));
            tasks.AddActivityFunc<PlayRequestInput, bool>(nameof(CallActivities.PlayPrompt), (_, _) => false);
            tasks.AddActivityFunc<HangUpRequest>(nameof(CallActivities.HangUpCall), (_, r) => Of(r.CallId).HangUp());
            tasks.AddActivityFunc<ReconcileRequest, CallSignalEnvelope>(nameof(CallActivities.ReconcileCall), (_, r) => Of(r.CallId).Reconcile());
            tasks.AddActivityFunc<string>(nameof(CallActivities.PublishCallEnded), (_, id) => Of(id).Publish());
            tasks.AddActivityFunc<string, string?>(nameof(BillingActivities.SettleCallBilling), (_, id) => Of(id).Settle());
            tasks.AddActivityFunc<CallbackRequest, string?>(nameof(CallActivities.CreateCallback), (_, r) => Of(r.CallId).Callback());
        });
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    private FakeCall Of(string callId) => calls[callId];

    /// <summary>The <c>[Function]</c> orchestrator as the test host takes orchestrators: a class running the same method.</summary>
    private sealed class CallOrchestration : TaskOrchestrator<CallOrchestrationInput, CallState>
    {
        public override Task<CallState> RunAsync(TaskOrchestrationContext context, CallOrchestrationInput input) => CallOrchestrator.RunAsync(context, input);
    }
}

/// <summary>What one call's activities were asked, as ACS and the stores would have seen it.</summary>
public sealed class FakeCall(InMemoryCallHost host, CallOrchestrationInput input, IReadOnlyList<string> agents)
{
    private readonly Lock gate = new();
    private readonly List<RecordRequest> records = [];
    private readonly List<DialRequest> dials = [];
    private readonly List<DateTimeOffset> dialedAt = [];
    private readonly List<DateTimeOffset> prechecks = [];
    private readonly List<InviteRequest> invites = [];
    private readonly List<(string, bool)> releases = [];
    private readonly List<CancelInvitationRequest> cancels = [];
    private readonly List<RemoveAgentRequest> removals = [];
    private readonly List<string> log = [];
    private int hangUps;
    private int reconciles;
    private volatile bool over;
    private volatile IReadOnlyList<string> onCall = [];
    private int published;
    private int settled;
    private int callbacks;

    public string Id => input.Plan.CallId;

    public string ShopperRawId => input.Plan.ShopperRawId;

    public IReadOnlyList<RecordRequest> Records => Read(() => records.ToList());

    /// <summary>The stages recorded, in the order the orchestration recorded them.</summary>
    public IReadOnlyList<CallStage> Stages => Read(() => records.OrderBy(r => r.Sequence).Select(r => r.State.Stage).ToList());

    public IReadOnlyList<DialRequest> Dials => Read(() => dials.ToList());

    public IReadOnlyList<DateTimeOffset> DialedAt => Read(() => dialedAt.ToList());

    public IReadOnlyList<DateTimeOffset> Prechecks => Read(() => prechecks.ToList());

    public IReadOnlyList<InviteRequest> Invites => Read(() => invites.ToList());

    public IReadOnlyList<(string AgentId, bool Talked)> Releases => Read(() => releases.ToList());

    public IReadOnlyList<CancelInvitationRequest> Cancels => Read(() => cancels.ToList());

    public IReadOnlyList<RemoveAgentRequest> Removals => Read(() => removals.ToList());

    /// <summary>Every removal fails as ACS failing for good (a 503 each time).</summary>
    public bool RemovalsFail { get; set; }

    /// <summary>Cancels, removals and releases in the order they ran ("cancel alice", "release alice"), every attempt of each.</summary>
    public IReadOnlyList<string> Log => Read(() => log.ToList());

    /// <summary>Every cancel fails as ACS failing for good (a 503 each time).</summary>
    public bool CancelsFail { get; set; }

    public int HangUps => Volatile.Read(ref hangUps);

    public int Reconciles => Volatile.Read(ref reconciles);

    /// <summary>Who ACS says is on the call when asked (raw ids); the app's hang-up ends the call, after which ACS knows no call.</summary>
    public IReadOnlyList<string> OnCall
    {
        get => onCall;
        set => onCall = value;
    }

    public int Published => Volatile.Read(ref published);

    public int Settled => Volatile.Read(ref settled);

    public int Callbacks => Volatile.Read(ref callbacks);

    /// <summary>Starts the call as the accept does (<see cref="DurableCallStarter.EnsureStartedAsync"/>).</summary>
    public Task StartAsync() => DurableCallStarter.EnsureStartedAsync(host.Client, new CallRecord { CallId = Id }, input, CancellationToken.None);

    /// <summary>A callback, raised to the instance as <see cref="HandleCallEvent"/> raises it.</summary>
    public Task RaiseAsync(CallSignal signal) => host.Client.RaiseEventAsync(Id, CallOrchestrator.SignalEvent, new CallSignalEnvelope(signal));

    public async Task WaitUntilAsync(Func<FakeCall, bool> done, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (!done(this))
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Call {Id}: no {what} in {limit}; stages so far {string.Join(",", Stages)}.");
            }

            await Task.Delay(20);
        }
    }

    public async Task<CallState> CompletedAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var instance = await host.Client.WaitForInstanceCompletionAsync(Id, getInputsAndOutputs: true, cancel.Token);
        Assert.True(instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{instance.RuntimeStatus}: {instance.FailureDetails?.ErrorMessage}");
        var final = instance.ReadOutputAs<CallState>()!;
        Assert.True(final.IsOver);
        return final;
    }

    internal void Record(RecordRequest request) => Write(() => records.Add(request));

    internal CallSignalEnvelope Dial(DialRequest request)
    {
        Write(() =>
        {
            dials.Add(request);
            dialedAt.Add(DateTimeOffset.UtcNow);
        });
        return new(new Dialled(InMemoryCallHost.Connection(Id)));
    }

    internal CallSignalEnvelope Precheck()
    {
        Write(() => prechecks.Add(DateTimeOffset.UtcNow));
        return new(new PrecheckDone(true, null));
    }

    internal CallSignalEnvelope Invite(InviteRequest request)
    {
        Write(() => invites.Add(request));
        var next = agents.FirstOrDefault(a => !request.AlreadyTried.Contains(a));
        return new(next is null ? new NoAgentAvailable(request.Attempt) : new AgentInvited(request.Attempt, next, InMemoryCallHost.RawIdOf(next), $"inv-{request.Attempt}"));
    }

    internal void Release(ReleaseRequest request) => Write(() =>
    {
        releases.Add((request.AgentId, request.Talked));
        log.Add("release " + request.AgentId);
    });

    internal void Cancel(CancelInvitationRequest request)
    {
        Write(() =>
        {
            if (!cancels.Contains(request))
            {
                cancels.Add(request);
            }

            log.Add("cancel " + request.AgentId);
        });
        if (CancelsFail)
        {
            throw new CartCall.Functions.Adapters.Acs.AcsRequestFailedException(503, "ServiceUnavailable", "down", "CancelAddParticipant");
        }
    }

    internal void Remove(RemoveAgentRequest request)
    {
        Write(() =>
        {
            if (!removals.Contains(request))
            {
                removals.Add(request);
            }

            log.Add("remove " + request.AgentId);
        });
        if (RemovalsFail)
        {
            throw new CartCall.Functions.Adapters.Acs.AcsRequestFailedException(503, "ServiceUnavailable", "down", "RemoveParticipant");
        }
    }

    internal void HangUp()
    {
        Interlocked.Increment(ref hangUps);
        over = true;
    }

    internal CallSignalEnvelope Reconcile()
    {
        Interlocked.Increment(ref reconciles);
        return new(over ? new Reconciled(false, []) : new Reconciled(true, OnCall));
    }

    internal void Publish() => Interlocked.Increment(ref published);

    internal string? Settle()
    {
        Interlocked.Increment(ref settled);
        return "settled";
    }

    internal string? Callback()
    {
        Interlocked.Increment(ref callbacks);
        return null;
    }

    private T Read<T>(Func<T> read)
    {
        lock (gate)
        {
            return read();
        }
    }

    private void Write(Action write)
    {
        lock (gate)
        {
            write();
        }
    }
}
