using System.Net.Http.Json;

using System.Text.Json.Nodes;
using CartCall.Domain.Calls;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.LocalCloud.Acs;
using Microsoft.AspNetCore.Http;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>
/// Hooks run by the Durable fan-out inside the real app (worker in its own process), called over loopback: webhooks
/// on real Kestrel servers, process hooks as real programs.
/// </summary>
[Collection(HooksAppCollection.Name)]
public sealed class HookOrchestrationTests(HooksAppFixture app)
{
    private static int numbers;

    private static string NewNumber() => "+1201556" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static string NewSession() => "s-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A merchant with one agent who answers, and an offer for a new session.</summary>
    private async Task<(string Merchant, string Session, string Offer)> MerchantWithOfferAsync()
    {
        var merchant = await app.CreateMerchantAsync();
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        await app.AddAgentAsync(merchant, "alice", agent);
        var session = NewSession();
        return (merchant, session, await app.NewOfferAsync(merchant, session));
    }

    [Fact]
    public async Task BeforeDial_RunsEveryHookAtOnce_SignedAndKeyed_ThenDials()
    {
        var (merchant, session, offer) = await MerchantWithOfferAsync();
        var inFlight = 0;
        var mostInFlight = 0;
        var dialledWhileAHookRan = false;
        string? callId = null;
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref mostInFlight, now);
            // Each hook holds its answer until every other one has arrived (bounded), so they can only all finish if
            // they run at once; a serial fan-out would show 1 here and the call would still dial after the wait.
            for (var i = 0; i < 40 && Volatile.Read(ref mostInFlight) < 3; i++)
            {
                await Task.Delay(25);
            }

            dialledWhileAHookRan |= callId is not null && app.CreateCallsFor(callId) > 0;
            Interlocked.Decrement(ref inFlight);
            await context.Response.WriteAsJsonAsync(new { action = "enrich", data = new { tier = "gold" } });
        });
        var hookIds = new[] { "h1", "h2", "h3" };
        foreach (var id in hookIds)
        {
            await app.RegisterAsync(merchant, id, HooksAppFixture.Webhook(new Uri(server.Url, "?hook=" + id), HookPoints.CallBeforeDial, timeoutMs: 1_500));
        }

        await app.RegisterAsync(merchant, "p1", HooksAppFixture.Process("answer", HookPoints.CallBeforeDial));

        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(8) };
        callId = await app.AcceptAsync(merchant, offer, session, shopper);
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.Equal(1, app.CreateCallsFor(callId));
        Assert.False(dialledWhileAHookRan, "the call was dialled before its before_dial hooks had answered");
        Assert.True(mostInFlight >= 3, $"at most {mostInFlight} webhook hooks were in flight at once");

        var requests = server.Requests.ToList();
        Assert.Equal(3, requests.Count);
        foreach (var request in requests)
        {
            Assert.Null(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, [AppFixture.Secret], DateTimeOffset.UtcNow));
            var hookId = request.Headers[WebhookHookRunner.HookIdHeader];
            Assert.Equal(HookPlan.IdempotencyKey(HookPoints.CallBeforeDial, callId, hookId), request.Headers[WebhookHookRunner.IdempotencyKeyHeader]);
            var cloudEvent = JsonNode.Parse(request.Body)!;
            Assert.Equal("CartCall.Hook.call.before_dial", cloudEvent["type"]!.GetValue<string>());
            Assert.Equal(callId, cloudEvent["data"]!["call"]!["callId"]!.GetValue<string>());
            Assert.Equal(session, cloudEvent["data"]!["sessionId"]!.GetValue<string>());
            Assert.Equal(offer, cloudEvent["data"]!["offer"]!["offerId"]!.GetValue<string>());
        }

        Assert.Equal(hookIds, requests.Select(r => r.Headers[WebhookHookRunner.HookIdHeader]).Order(StringComparer.Ordinal));
        var deliveries = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(OccurrenceId: callId), CancellationToken.None);
        Assert.Equal(["h1", "h2", "h3", "p1"], deliveries.Select(d => d.HookId).Order(StringComparer.Ordinal));
        Assert.All(deliveries, d => Assert.Equal(HookDeliveryStatus.Succeeded, d.Status));
        Assert.All(deliveries, d => Assert.Equal(1, d.Attempts));
    }

    [Fact]
    public async Task BeforeDial_AFailClosedVeto_StopsTheCallBeforeItRings()
    {
        var (merchant, session, offer) = await MerchantWithOfferAsync();
        await using var server = await LoopbackHookServer.StartAsync((context, _) =>
            context.Response.WriteAsJsonAsync(new { action = "veto", reason = "This customer asked not to be called." }));
        await app.RegisterAsync(merchant, "compliance", HooksAppFixture.Webhook(server.Url, HookPoints.CallBeforeDial, failureMode: "closed", priority: 10));

        var callId = await app.AcceptAsync(merchant, offer, session, NewNumber());
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.True(call.Outcome == CallOutcomes.Vetoed, $"{call.Outcome}: {call.Detail}");
        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Contains(CallHookSteps.StoppedPrefix + "compliance", call.Detail, StringComparison.Ordinal);
        Assert.Equal(0, app.CreateCallsFor(callId));
        Assert.Equal(1, server.Count);
        // The shopper's widget is told in the merchant's words, not with an error code.
        using var widget = app.App.CreateClient(handleCookies: false);
        widget.DefaultRequestHeaders.Add("Origin", CallsFixture.Origin);
        widget.DefaultRequestHeaders.Add(PublishableKeys.Header, app.PublishableKey(merchant));
        var status = JsonNode.Parse(await widget.GetStringAsync($"/api/calls/{callId}"))!;
        Assert.Equal("This customer asked not to be called.", status["message"]!.GetValue<string>());
        Assert.Equal("vetoed", status["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task BeforeDial_TheHighestPriorityRoute_ChoosesTheAgent_AndEnrichmentReachesTheAgentConsole()
    {
        var (merchant, session, offer) = await MerchantWithOfferAsync();
        var carol = NewNumber();
        app.Acs.Parties[carol] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        await app.AddAgentAsync(merchant, "carol", carol);
        await using var router = await LoopbackHookServer.StartAsync((context, _) =>
            context.Response.WriteAsJsonAsync(new { action = "route", agentId = "carol", data = new { tier = "platinum" } }));
        await using var outranked = await LoopbackHookServer.StartAsync((context, _) =>
            context.Response.WriteAsJsonAsync(new { action = "route", agentId = "alice", data = new { tier = "bronze", lastOrder = "2026-11-20" } }));
        await app.RegisterAsync(merchant, "crm", HooksAppFixture.Webhook(router.Url, HookPoints.CallBeforeDial, priority: 10));
        await app.RegisterAsync(merchant, "legacy", HooksAppFixture.Webhook(outranked.Url, HookPoints.CallBeforeDial, priority: 1));

        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(8) };
        var callId = await app.AcceptAsync(merchant, offer, session, shopper);
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.True(call.Outcome == CallOutcomes.Completed, $"{call.Outcome}: {call.Detail}");
        Assert.True(call.AgentId == "carol", $"agent {call.AgentId}, tried [{string.Join(",", call.AgentsTried)}], routed to {call.RoutedAgentId} by {call.RoutedBy}, data {call.HookData?.Count}");
        Assert.Equal("crm", call.RoutedBy);
        Assert.Equal("platinum", call.HookData!["tier"]);
        Assert.Equal("2026-11-20", call.HookData["lastOrder"]);

        using var client = app.AdminClient();
        var listed = await client.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/calls?status=all");
        var view = listed!["calls"]!.AsArray().Single(c => c!["callId"]!.GetValue<string>() == callId)!;
        Assert.Equal("platinum", view["hookData"]!["tier"]!.GetValue<string>());
    }

    [Fact]
    public async Task BeforeDial_AHookPastTheDeadline_DoesNotHoldTheCall()
    {
        var (merchant, session, offer) = await MerchantWithOfferAsync();
        using var release = new CancellationTokenSource();
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            // Answers only when the test lets it: the call must have been dialled without it.
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(60), release.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await context.Response.WriteAsJsonAsync(new { action = "veto", reason = "too late to matter" });
        });
        await app.RegisterAsync(merchant, "slow", HooksAppFixture.Webhook(server.Url, HookPoints.CallBeforeDial, timeoutMs: 20_000, attempts: 1));

        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(8) };
        var callId = await app.AcceptAsync(merchant, offer, session, shopper);
        await HooksAppFixture.WaitForAsync(() => Task.FromResult(app.CreateCallsFor(callId) > 0 ? "dialled" : null), "the dial", TimeSpan.FromSeconds(60));

        Assert.Equal(1, server.Count);
        await release.CancelAsync();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
    }

    [Fact]
    public async Task AfterTheFact_ConnectedAndEndedHooks_RunWithoutTheCallWaiting()
    {
        var (merchant, session, offer) = await MerchantWithOfferAsync();
        // An empty 200 is a listener's answer: continue.
        await using var server = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "crm", new
        {
            points = new[] { HookPoints.CallConnected, HookPoints.CallEnded },
            kind = "webhook",
            target = server.Url.AbsoluteUri,
        });

        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(8) };
        var callId = await app.AcceptAsync(merchant, offer, session, shopper);
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);

        var both = await HooksAppFixture.WaitForAsync(async () =>
        {
            var list = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded, OccurrenceId: callId), CancellationToken.None);
            return list.Count == 2 ? list : null;
        }, "the connected and ended hooks");
        Assert.Equal([HookPoints.CallConnected, HookPoints.CallEnded], both.Select(d => d.Point).Order(StringComparer.Ordinal));
        var types = server.Requests.Select(r => JsonNode.Parse(r.Body)!["type"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["CartCall.Hook.call.connected", "CartCall.Hook.call.ended"], types);
        var ended = server.Requests.Select(r => JsonNode.Parse(r.Body)!).Single(e => e["type"]!.GetValue<string>().EndsWith("ended", StringComparison.Ordinal));
        Assert.Equal("completed", ended["data"]!["call"]!["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task MerchantsOwnConcurrencyLimit_BoundsItsFanOut_EveryHookStillRuns()
    {
        var merchant = await app.CreateMerchantAsync(m => m["hookConcurrency"] = 2);
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        await app.AddAgentAsync(merchant, "alice", agent);
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);
        var inFlight = 0;
        var mostInFlight = 0;
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            InterlockedMax(ref mostInFlight, Interlocked.Increment(ref inFlight));
            // Held until a second hook is in flight too (bounded), so a window of 2 is seen whatever the machine's load;
            // a third would show above the limit.
            for (var i = 0; i < 120 && Volatile.Read(ref inFlight) < 2; i++)
            {
                await Task.Delay(25);
            }

            await Task.Delay(100);
            Interlocked.Decrement(ref inFlight);
        });
        var hookIds = new[] { "c1", "c2", "c3", "c4", "c5" };
        foreach (var id in hookIds)
        {
            await app.RegisterAsync(merchant, id, HooksAppFixture.Webhook(new Uri(server.Url, "?hook=" + id), HookPoints.CallEnded));
        }

        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(2) };
        var callId = await app.AcceptAsync(merchant, offer, session, shopper);
        await app.WaitForCallAsync(callId, c => c.IsOver);
        var deliveries = await HooksAppFixture.WaitForAsync(async () =>
        {
            var list = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded, OccurrenceId: callId), CancellationToken.None);
            return list.Count == hookIds.Length ? list : null;
        }, "the five call.ended hooks");

        Assert.Equal(hookIds, deliveries.Select(d => d.HookId).Order(StringComparer.Ordinal));
        Assert.Equal(2, mostInFlight);
    }

    [Fact]
    public async Task MerchantAskingForAnImpossibleHookConcurrency_Is400NamingIt()
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["hookConcurrency"] = 0;
        using var admin = app.AdminClient();

        var response = await admin.PutAsJsonAsync($"/api/merchants/{id}", doc);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.BadRequest, text);
        Assert.Contains("hookConcurrency", text, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
