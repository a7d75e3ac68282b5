using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Domain.Calls;
using CartCall.Functions.Features.Calls;
using CartCall.LocalCloud.Acs;
using Xunit.Abstractions;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// Issue 8's reconciliation: the ACS stand-in is told to lose chosen callbacks (<see cref="AcsFaults.Drop"/>) and the
/// call's orchestration must still find out what happened by asking ACS (GET participants) when a deadline passes.
/// Nothing here waits for a fixed time: the parties that end a call do so either after an event the call itself caused
/// (the agent leaves a set time after joining) or when the test acts, once the stored record shows the stage it needs.
/// </summary>
[Collection(ReconcilingCallsCollection.Name)]
public sealed class CallReconciliationTests(ReconcilingCallsFixture app, ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);
    private static int numbers;

    /// <summary>Every callback type the stand-in sends.</summary>
    private static readonly string[] EveryCallback =
    [
        "CallConnected", "CallDisconnected", "CreateCallFailed", "AddParticipantSucceeded", "AddParticipantFailed",
        "ParticipantsUpdated", "PlayCompleted", "RecognizeCompleted", "RecognizeFailed",
    ];

    [Fact]
    public async Task LostCallConnected_TheCheckReadsTheParticipants_AndAddsTheAgent()
    {
        // The agent ends the conversation a second after joining: the call can only complete once the agent was added.
        var call = await RunAsync(["CallConnected"], agentHangsUpAfter: TimeSpan.FromSeconds(1));

        AssertCompletedOnce(call);
        var requests = RequestsFor(call.CallConnectionId!);
        var firstRead = requests.FindIndex(r => r.Method == "GET" && r.Path.EndsWith("/participants", StringComparison.Ordinal));
        var add = requests.FindIndex(r => r.Path.EndsWith("/participants:add", StringComparison.Ordinal));
        Assert.True(firstRead >= 0 && add > firstRead, $"the participants were read at {firstRead}, the agent added at {add}: {Describe(requests)}");
        Assert.Contains(Placed(call).Timeline, t => t.Text == "callback CallConnected dropped (fault injected)");
        Assert.DoesNotContain(app.Acs.DeliveredCallbacks, d => d.CallConnectionId == call.CallConnectionId && d.Type == "CallConnected");
    }

    [Fact]
    public async Task LostAgentJoinedCallback_TheParticipantsUpdateStillBringsTheCallToTalking()
    {
        var call = await RunAsync(["AddParticipantSucceeded"], agentHangsUpAfter: TimeSpan.FromSeconds(1));

        AssertCompletedOnce(call);
        Assert.DoesNotContain(app.Acs.DeliveredCallbacks, d => d.CallConnectionId == call.CallConnectionId && d.Type == "AddParticipantSucceeded");
        Assert.Contains(Placed(call).Timeline, t => t.Text == "callback AddParticipantSucceeded dropped (fault injected)");
    }

    [Fact]
    public async Task LostAgentJoinedCallback_AndEveryParticipantsUpdate_TheInvitationDeadlineFindsTheAgentOnTheCall()
    {
        // Nothing tells the app that the agent joined: only the check at the invitation's deadline can. The agent stays
        // on; once the record says talking, the shopper hangs up (its update is lost too: the next check sees it).
        var call = await RunAsync(["AddParticipantSucceeded", "ParticipantsUpdated"], agentHangsUpAfter: null, shopperHangsUpOnceTalking: true);

        AssertCompletedOnce(call);
        // The reconcile found the first agent on the call rather than giving up on them and moving on.
        Assert.Equal(new[] { call.AgentId! }, call.AgentsTried);
        Assert.Contains(RequestsFor(call.CallConnectionId!), r => r.Method == "GET" && r.Path.EndsWith("/participants", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LostShopperHangUp_TheAgentsLegIsHungUp_TheCallCompletes_AndCallEndedIsPublishedOnce()
    {
        var call = await RunAsync(["ParticipantsUpdated"], agentHangsUpAfter: null, shopperHangsUpOnceTalking: true);

        AssertCompletedOnce(call);
        Assert.Contains("the shopper left", call.Detail, StringComparison.Ordinal);
        var placed = Placed(call);
        // The shopper left by themselves; the agent's leg went down because the app ended the call.
        Assert.Contains(placed.Timeline, t => t.Text == "terminated by the application");
        Assert.Single(RequestsFor(call.CallConnectionId!), r => r.Path.EndsWith(":terminate", StringComparison.Ordinal));

        // Once the orchestration is over it can publish nothing more: its history says how often it published.
        await DurableHubTables.WaitForCompletedAsync(app.Storage, call.CallId, Settle);
        var history = await DurableHubTables.HistoryAsync(app.Storage, call.CallId);
        Assert.Equal(1, DurableHubTables.Scheduled(history, nameof(CallActivities.PublishCallEnded)));
        Assert.True((await app.CallAsync(call.CallId))!.EndedPublished);
        var ended = Assert.Single(await app.WaitForAsync(() => app.Events.Ended(call.CallId) is { Count: > 0 } e ? e : null, "CallEnded", Settle));
        Assert.Equal(CallOutcomes.Completed, ended.Outcome);
    }

    [Fact]
    public async Task EveryCallbackLost_TheCallEndsAtItsMaxLength_PlacedOnce_WithNoLegLeftUp()
    {
        // Shopper and agent both stay on for good and the app hears nothing from ACS: only its own checks drive the call.
        var call = await RunAsync(EveryCallback, agentHangsUpAfter: null);

        AssertCompletedOnce(call);
        Assert.Contains("longest allowed length", call.Detail, StringComparison.Ordinal);
        Assert.True(call.EndedAt - call.ConnectedAt >= ReconcilingCallsFixture.MaxCallLength, $"connected {call.ConnectedAt:O}, ended {call.EndedAt:O}");
        Assert.DoesNotContain(app.Acs.DeliveredCallbacks, d => d.CallConnectionId == call.CallConnectionId);
        Assert.Equal("disconnected", Placed(call).State);
        await DurableHubTables.WaitForCompletedAsync(app.Storage, call.CallId, Settle);
    }

    /// <summary>
    /// One phone call with callbacks of <paramref name="drop"/> lost: one agent, a shopper who answers and stays on.
    /// </summary>
    private async Task<CallRecord> RunAsync(IReadOnlyCollection<string> drop, TimeSpan? agentHangsUpAfter, bool shopperHangsUpOnceTalking = false)
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 100);
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = agentHangsUpAfter };
        var agentId = "agent-" + agent[^4..];
        await app.AddAgentAsync(merchant, agentId, phone: agent);
        var shopper = NewNumber();
        // The faults ride on the dialled party's script: they apply to this call only, whatever else runs beside it.
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { Faults = new AcsFaults { Drop = new HashSet<string>(drop, StringComparer.Ordinal) } };
        var session = "reconcile-" + Guid.NewGuid().ToString("N")[..8];
        var offer = await app.NewOfferAsync(merchant, session);

        using var response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper), from: Address());
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var callId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["callId"]!.GetValue<string>();

        if (shopperHangsUpOnceTalking)
        {
            var talking = await app.WaitForCallAsync(callId, c => c.AgentId is not null || c.IsOver, Settle);
            Assert.False(talking.IsOver, $"the call ended before it was talking: {talking.Outcome} ({talking.Detail})");
            Assert.True(app.Acs.Act(talking.CallConnectionId!, shopper, "hangup"), "the shopper could not hang up");
        }

        var call = await app.WaitForCallAsync(callId, c => c.IsOver, Settle);
        Assert.Equal(agentId, call.AgentId);
        return call;
    }

    private void AssertCompletedOnce(CallRecord call)
    {
        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.NotNull(call.ConnectedAt);
        var placed = Placed(call);
        Assert.All(placed.Parties, p => Assert.True(p.State is PartyState.Left or PartyState.Failed, $"{p.Role} {p.RawId} is still {p.State}"));
        output.WriteLine($"{call.CallId}: {call.Outcome} ({call.Detail}) with {call.AgentId} after {call.DurationSeconds:F1} s");
        output.WriteLine(string.Join(Environment.NewLine, placed.Timeline.Select(t => $"  {t.At:HH:mm:ss.fff} {t.Text}")));
    }

    /// <summary>The one create-call the stand-in received for the call (it fails if there were more).</summary>
    private AcsStandInCall Placed(CallRecord call) => Assert.Single(app.Acs.Calls, c => c.OperationContext == call.CallId);

    private List<AcsRecordedRequest> RequestsFor(string connection) =>
        [.. app.Acs.Requests.Where(r => r.Path.Contains(connection, StringComparison.Ordinal))];

    private static string Describe(IEnumerable<AcsRecordedRequest> requests) =>
        string.Join(", ", requests.Select(r => $"{r.Method} {r.Path[(r.Path.LastIndexOf('/') + 1)..]} {r.Status}"));

    private static string NewNumber() =>
        "+1201558" + Interlocked.Increment(ref numbers).ToString("D4", CultureInfo.InvariantCulture);

    private static IPAddress Address() => IPAddress.Parse("127.0.7." + (1 + (Interlocked.Increment(ref numbers) % 200)).ToString(CultureInfo.InvariantCulture));
}

/// <summary>
/// The calls fixture with waits short enough for lost callbacks to be found within a test: a check every second, calls
/// at most 20 s long, 3 s for a hang-up to take.
/// </summary>
public sealed class ReconcilingCallsFixture : CallsFixture
{
    public static readonly TimeSpan MaxCallLength = TimeSpan.FromSeconds(20);

    protected override TimeSpan CheckInterval => TimeSpan.FromSeconds(1);

    protected override void Configure(IDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings["CartCall:Calls:MaxCallLength"] = MaxCallLength.ToString("c", CultureInfo.InvariantCulture);
        settings["CartCall:Calls:HangUpTimeout"] = "00:00:03";
    }
}

[CollectionDefinition(Name)]
public sealed class ReconcilingCallsCollection : ICollectionFixture<ReconcilingCallsFixture>
{
    public const string Name = "calls over the ACS stand-in, losing callbacks";
}
