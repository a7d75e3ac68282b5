using System.Diagnostics;
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
/// Issue 8's crash tests: the worker is killed as kill -9 would at four points of a phone call's life, and the local
/// Functions host starts it again. Every call must be placed exactly once (one create-call at the ACS stand-in, however
/// often it was asked), reach a final state with the right outcome, and leave no leg up at ACS.
/// </summary>
[Collection(WorkerProcessCallsCollection.Name)]
public sealed class CallCrashTests(WorkerProcessCallsFixture app, ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static int numbers;

    [Fact]
    public async Task KilledRightAfterTheAccept_TheCallIsPlacedOnce_AndCompletes()
    {
        var (merchant, session, offer, shopper) = await SetUpAsync(PartyScript.Answers(TimeSpan.FromMilliseconds(300)));

        var callId = await AcceptAsync(offer, merchant, session, shopper);
        Kill("after the accept's 202");

        var call = await app.WaitForCallAsync(callId, c => c.IsOver, Settle);
        AssertCompletedOnce(call);
    }

    [Fact]
    public async Task KilledWhileTheDialFails_TheCallIsPlacedOnceWhenAcsRecovers()
    {
        var (merchant, session, offer, shopper) = await SetUpAsync(PartyScript.Answers(TimeSpan.FromMilliseconds(300)));
        // The dial is claimed (the call recorded) but every create-call fails: ACS is briefly unavailable.
        app.Acs.InjectFailures(503, 6, "/calling/callConnections");

        var callId = await AcceptAsync(offer, merchant, session, shopper);
        Kill("with the dial claimed and not yet accepted by ACS");

        var call = await app.WaitForCallAsync(callId, c => c.IsOver, Settle);
        AssertCompletedOnce(call);
        Assert.Contains(app.Acs.Requests, r => r.Status == 503 && r.Path.Contains("/calling/callConnections", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KilledAsTheCallReachesAcs_TheRepeatedDialIsTheSameCall()
    {
        var (merchant, session, offer, shopper) = await SetUpAsync(PartyScript.Answers(TimeSpan.FromSeconds(1)));

        var accept = AcceptAsync(offer, merchant, session, shopper);
        // The moment the stand-in has the create-call, before its answer is used: the worker dies with the dial in flight.
        await WaitUntilAsync(() => app.Acs.Calls.Any(c => c.Parties.Any(p => p.RawId == "4:" + shopper)), "the create-call at ACS");
        Kill("as the create-call reached ACS");
        var callId = await TryFinishAcceptAsync(accept, offer, merchant, session, shopper);

        var call = await app.WaitForCallAsync(callId, c => c.IsOver, Settle);
        AssertCompletedOnce(call);
    }

    [Fact]
    public async Task KilledWhileConnected_AndTheShopperHangsUpDuringTheDowntime_TheCallEnds_AndTheAgentsLegIsHungUp()
    {
        // The shopper hangs up 1.5 s after answering; the worker is killed as soon as the call is talking, so the
        // hang-up (and its callback) happens while it is down.
        var (merchant, session, offer, shopper) = await SetUpAsync(PartyScript.Answers(TimeSpan.FromMilliseconds(200)) with { HangUpAfter = TimeSpan.FromSeconds(1.5) });

        var callId = await AcceptAsync(offer, merchant, session, shopper);
        await app.WaitForCallAsync(callId, c => c.Status == CallStatus.Connected && c.AgentId is not null, Settle);
        Kill("while connected, before the shopper hangs up");

        var call = await app.WaitForCallAsync(callId, c => c.IsOver, Settle);
        AssertCompletedOnce(call);
    }

    private void Kill(string when)
    {
        var watch = Stopwatch.StartNew();
        app.App.Host.Supervisor.KillCurrentWorker();
        output.WriteLine($"worker killed {when} ({watch.ElapsedMilliseconds} ms)");
    }

    private void AssertCompletedOnce(CallRecord call)
    {
        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.NotNull(call.AgentId);
        var placed = Assert.Single(app.Acs.Calls, c => c.OperationContext == call.CallId);
        // Once a call is over at ACS every leg of it is down (the reconciliation hangs up what a lost callback left up).
        Assert.All(placed.Parties, p => Assert.True(p.State is PartyState.Left or PartyState.Failed, $"{p.Role} {p.RawId} is still {p.State}"));
        output.WriteLine($"{call.CallId}: {call.Outcome} with {call.AgentId} after {call.DurationSeconds:F1} s; ACS legs: {string.Join(", ", placed.Parties.Select(p => $"{p.Role} {p.State}"))}");
    }

    /// <summary>
    /// A merchant with one agent and a shopper who answers as <paramref name="shopperScript"/> says. Unless the shopper
    /// leaves by themselves, they wait on the line however long the app is down, and the agent ends the conversation
    /// two seconds after joining: the call can only complete once the restarted app has found the shopper and added the agent.
    /// </summary>
    private async Task<(string Merchant, string Session, string Offer, string Shopper)> SetUpAsync(PartyScript shopperScript)
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 100);
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = shopperScript.HangUpAfter is null ? TimeSpan.FromSeconds(2) : null };
        await app.AddAgentAsync(merchant, "agent-" + agent[^4..], phone: agent);
        var shopper = NewNumber();
        app.Acs.Parties[shopper] = shopperScript;
        var session = "crash-" + Guid.NewGuid().ToString("N")[..8];
        return (merchant, session, await app.NewOfferAsync(merchant, session), shopper);
    }

    private async Task<string> AcceptAsync(string offer, string merchant, string session, string shopper)
    {
        using var response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper), from: Address());
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["callId"]!.GetValue<string>();
    }

    /// <summary>
    /// The accept that was in flight when the worker died may have been cut off; the widget then asks again, as it
    /// does, and a second accept of the same offer names the same call.
    /// </summary>
    private async Task<string> TryFinishAcceptAsync(Task<string> accept, string offer, string merchant, string session, string shopper)
    {
        try
        {
            return await accept;
        }
        catch (Exception e) when (e is HttpRequestException or Xunit.Sdk.XunitException or TaskCanceledException)
        {
            output.WriteLine($"the accept in flight was cut off ({e.GetType().Name}); the widget asks again");
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await AcceptAsync(offer, merchant, session, shopper);
                }
                catch (Exception again) when (attempt < 20 && again is HttpRequestException or Xunit.Sdk.XunitException)
                {
                    await Task.Delay(500);
                }
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(5);
        }
    }

    private static string NewNumber() =>
        "+1201557" + Interlocked.Increment(ref numbers).ToString("D4", CultureInfo.InvariantCulture);

    private static IPAddress Address() => IPAddress.Parse("127.0.8." + (1 + (Interlocked.Increment(ref numbers) % 200)).ToString(CultureInfo.InvariantCulture));
}
