using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Domain.Calls;
using CartCall.Domain.Experiments;
using CartCall.Domain.Hooks;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Storage;
using CartCall.Functions.Tests.Features.Billing;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.Functions.Tests.Features.Offers;
using CartCall.LocalCloud.Acs;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>
/// The lifecycle points wired outside the call's own steps, in the real app (worker in its own process): offer.proposed
/// from the offer's delivery (once per offer, never for the holdout), charge.captured after a paid call's settlement,
/// and the points of a call whose orchestration its first ACS callback started.
/// </summary>
[Collection(HooksAppCollection.Name)]
public sealed class HookLifecyclePointTests(HooksAppFixture app)
{
    private static int numbers;

    private static string NewNumber() => "+1201557" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static string NewSession() => "s-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task OfferProposed_ADuplicatedDelivery_StartsOneRun_AndTheHookHearsOfTheOfferOnce()
    {
        var merchant = await app.CreateMerchantAsync();
        // An empty 200 is a listener's answer.
        await using var server = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "crm", HooksAppFixture.Webhook(server.Url, HookPoints.OfferProposed));
        var session = NewSession();
        var offer = OfferEvents.Offer(merchant, session);

        // Event Grid delivers at least once: the event twice in one batch, then the batch again (a retry after a timeout).
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(offer.Event(), offer.Event())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(offer.Event())).StatusCode);

        // Each start is written before the delivery is answered, so every run there will be is listed by now.
        var runs = await FanOutRunsAsync(offer.OfferId);
        Assert.Equal([HookFanOutOrchestrator.InstanceId(HookPoints.OfferProposed, offer.OfferId)], runs.Select(r => r.PartitionKey));
        await HooksAppFixture.WaitForAsync(async () => (await FanOutRunsAsync(offer.OfferId)).All(r => r.GetString("RuntimeStatus") == "Completed") ? "done" : null,
            "the offer's hooks to finish");

        var request = Assert.Single(server.Requests);
        Assert.Null(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, [AppFixture.Secret], DateTimeOffset.UtcNow));
        Assert.Equal(HookPlan.IdempotencyKey(HookPoints.OfferProposed, offer.OfferId, "crm"), request.Headers[WebhookHookRunner.IdempotencyKeyHeader]);
        var cloudEvent = JsonNode.Parse(request.Body)!;
        Assert.Equal("CartCall.Hook.offer.proposed", cloudEvent["type"]!.GetValue<string>());
        Assert.Equal($"offers/{offer.OfferId}", cloudEvent["subject"]!.GetValue<string>());
        Assert.Equal(merchant, cloudEvent["data"]!["merchantId"]!.GetValue<string>());
        Assert.Equal(session, cloudEvent["data"]!["sessionId"]!.GetValue<string>());
        Assert.Equal(offer.OfferId, cloudEvent["data"]!["offer"]!["offerId"]!.GetValue<string>());
        Assert.Equal(offer.CartValue, cloudEvent["data"]!["cart"]!["value"]!.GetValue<decimal>());
        Assert.Null(cloudEvent["data"]!["call"]);
        var delivery = Assert.Single(await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(OccurrenceId: offer.OfferId), CancellationToken.None));
        Assert.Equal(HookDeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal(1, delivery.Attempts);
    }

    [Fact]
    public async Task OfferProposed_HoldoutSessions_RunNoHooks_WhileTheTreatmentsOfferDoes()
    {
        var merchant = await app.CreateMerchantAsync(d =>
        {
            d["scoring"] = new { minScore = 0.5, minCartValue = 50 };
            d["experiment"] = new { holdoutShare = 0.5, attributionWindowHours = 24 };
        });
        await app.AddAgentAsync(merchant, "alice", NewNumber());
        await using var server = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "crm", HooksAppFixture.Webhook(server.Url, HookPoints.OfferProposed));
        var control = AppFixture.SessionIn(merchant, ExperimentArm.Control, "s-Control");
        var treatment = AppFixture.SessionIn(merchant, ExperimentArm.Treatment, "s-Treatment");

        var controlAnswers = await HesitantCheckoutAsync(merchant, control);
        var treatmentAnswers = await HesitantCheckoutAsync(merchant, treatment);

        Assert.All(controlAnswers, a => Assert.False(a["offerProposed"]!.GetValue<bool>(), a.ToJsonString()));
        var offered = treatmentAnswers.Where(a => a["offerProposed"]!.GetValue<bool>()).Select(a => a["offerId"]!.GetValue<string>()).ToHashSet();
        var offerId = offered.First();
        // The path works: the treatment's offer went through Event Grid and DeliverOffer to its hook.
        await HooksAppFixture.WaitForAsync(() => Task.FromResult(server.Requests.Any(r => OfferOf(r) == offerId) ? "heard" : null), "the treatment's offer.proposed hook");
        // The control session was decided to be offered like the other (it entered the experiment, on the control side)…
        var row = await HooksAppFixture.WaitForAsync(() => ExperimentRowAsync(merchant, control), "the control session's experiment row");
        Assert.Equal("control", row.GetString("Arm"));

        // …and nothing of it reached a hook: every request and every delivery is about the treatment's offers.
        Assert.All(server.Requests, r => Assert.Equal(treatment, JsonNode.Parse(r.Body)!["data"]!["sessionId"]!.GetValue<string>()));
        var deliveries = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(), CancellationToken.None);
        Assert.NotEmpty(deliveries);
        Assert.All(deliveries, d => Assert.Contains(d.OccurrenceId, offered));
    }

    [Fact]
    public async Task ChargeCaptured_AfterAPaidCall_CarriesTheMerchantCallAmountCurrencyAndPaymentIntent()
    {
        var merchant = await app.CreateMerchantAsync(CallBillingFlow.Paid);
        using (var admin = app.AdminClient())
        {
            var plan = await admin.PutAsJsonAsync($"/api/merchants/{merchant}/plan", CallBillingFlow.PlanBody());
            Assert.True(plan.IsSuccessStatusCode, await plan.Content.ReadAsStringAsync());
        }

        await AgentWhoTalksAsync(merchant);
        await using var server = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "books", HooksAppFixture.Webhook(server.Url, HookPoints.ChargeCaptured));
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);
        var shopper = ShopperWhoStays();

        var callId = await AcceptPaidAsync(merchant, offer, session, shopper);
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.True(call.Outcome == CallOutcomes.Completed, $"{call.Outcome}: {call.Detail}");
        var delivery = await HooksAppFixture.WaitForAsync(async () =>
            (await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded, OccurrenceId: callId), CancellationToken.None)).SingleOrDefault(),
            "the charge.captured hook");

        Assert.Equal(HookPoints.ChargeCaptured, delivery.Point);
        var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["metadata"]?["call_id"]?.GetValue<string>() == callId);
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        var request = Assert.Single(server.Requests);
        var cloudEvent = JsonNode.Parse(request.Body)!;
        Assert.Equal("CartCall.Hook.charge.captured", cloudEvent["type"]!.GetValue<string>());
        Assert.Equal($"calls/{callId}", cloudEvent["subject"]!.GetValue<string>());
        var data = cloudEvent["data"]!;
        Assert.Equal(merchant, data["merchantId"]!.GetValue<string>());
        Assert.Equal(callId, data["call"]!["callId"]!.GetValue<string>());
        Assert.Equal(CallOutcomes.Completed, data["call"]!["outcome"]!.GetValue<string>());
        Assert.Equal(intent["id"]!.GetValue<string>(), data["charge"]!["chargeId"]!.GetValue<string>());
        Assert.Equal(5.00m, data["charge"]!["amount"]!.GetValue<decimal>());
        Assert.Equal(500, data["charge"]!["amountMinor"]!.GetValue<long>());
        Assert.Equal("USD", data["charge"]!["currency"]!.GetValue<string>());
    }

    [Fact]
    public async Task ChargeCaptured_ACallWithNoCharge_RunsNoHook()
    {
        var merchant = await app.CreateMerchantAsync();
        await AgentWhoTalksAsync(merchant);
        await using var server = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "books", HooksAppFixture.Webhook(server.Url, HookPoints.ChargeCaptured));
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);

        var callId = await app.AcceptAsync(merchant, offer, session, ShopperWhoStays());
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.True(call.Outcome == CallOutcomes.Completed, $"{call.Outcome}: {call.Detail}");
        // The call's orchestration completes only after its hooks' fan-outs (they are drained before it returns).
        await HooksAppFixture.WaitForAsync(async () => await RuntimeStatusAsync(callId) == "Completed" ? "completed" : null, "the call's orchestration to complete");

        Assert.Equal(0, server.Count);
        Assert.Empty(await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(OccurrenceId: callId), CancellationToken.None));
    }

    [Fact]
    public async Task RestartedByItsFirstCallback_TheCallRunsItsLaterPoints_WithTheCurrentHooks_ButNotBeforeDial()
    {
        var merchant = await app.CreateMerchantAsync();
        await AgentWhoTalksAsync(merchant);
        await using var gate = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await using var crm = await LoopbackHookServer.StartAsync((context, _) => Task.CompletedTask);
        await app.RegisterAsync(merchant, "gate", HooksAppFixture.Webhook(gate.Url, HookPoints.CallBeforeDial));
        await app.RegisterAsync(merchant, "crm", new
        {
            points = new[] { HookPoints.CallConnected, HookPoints.CallEnded },
            kind = "webhook",
            target = crm.Url.AbsoluteUri,
        });
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);
        var shopper = ShopperWhoStays();

        // What an accept leaves when its process dies between its dial and the orchestration's start: the call recorded
        // and ringing at ACS, and no orchestration. Only the call's callbacks can carry it on.
        var callId = CallIds.ForOffer(offer);
        var createdAt = DateTimeOffset.UtcNow;
        Assert.NotNull(await app.Calls.TryCreateAsync(new CallRecord
        {
            CallId = callId, OfferId = offer, MerchantId = merchant, SessionId = session, Mode = CallMode.Phone, Reason = "test: accept died after dialling",
            Status = CallStatus.Queued, CreatedAt = createdAt, ShopperPhone = shopper,
        }, CancellationToken.None));
        await DialAsAcceptWouldAsync(callId, shopper, createdAt);

        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.True(call.Outcome == CallOutcomes.Completed, $"{call.Outcome}: {call.Detail}");
        Assert.Equal(1, app.CreateCallsFor(callId));
        var both = await HooksAppFixture.WaitForAsync(async () =>
        {
            var list = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded, OccurrenceId: callId), CancellationToken.None);
            return list.Count >= 2 ? list : null;
        }, "the connected and ended hooks");
        Assert.Equal([HookPoints.CallConnected, HookPoints.CallEnded], both.Select(d => d.Point).Order(StringComparer.Ordinal));
        Assert.Equal(2, crm.Count);
        // The call was dialled before any hook could say a word: before_dial is not run after the fact.
        Assert.Equal(0, gate.Count);
        Assert.DoesNotContain(await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(OccurrenceId: callId), CancellationToken.None),
            d => d.Point == HookPoints.CallBeforeDial);
    }

    /// <summary>
    /// The call ends when the agent hangs up, 2 s after joining: past a paid call's 1 s minimum, and never before an
    /// agent was there, however long the durable engine takes to add them (a shopper hanging up on a timer would race it).
    /// </summary>
    private async Task AgentWhoTalksAsync(string merchant)
    {
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(2) };
        await app.AddAgentAsync(merchant, "alice", agent);
    }

    /// <summary>A shopper who answers and stays until the call is hung up.</summary>
    private string ShopperWhoStays()
    {
        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));
        return shopper;
    }

    private async Task<HttpResponseMessage> DeliverAsync(params JsonNode[] events)
    {
        using var client = app.App.CreateClient();
        return await client.PostAsync($"/api/offers/deliveries?code={AppFixture.DeliveryKey}", AppFixture.CloudEvents(events));
    }

    /// <summary>The hook fan-out instances in the task hub whose input names <paramref name="offerId"/>.</summary>
    private async Task<List<TableEntity>> FanOutRunsAsync(string offerId)
    {
        var runs = new List<TableEntity>();
        await foreach (var e in app.Storage.Table("CartCallInstances").QueryAsync<TableEntity>($"Name eq '{nameof(HookFanOutOrchestrator)}'"))
        {
            if (e.GetString("Input")?.Contains(offerId, StringComparison.Ordinal) == true)
            {
                runs.Add(e);
            }
        }

        return runs;
    }

    private async Task<string?> RuntimeStatusAsync(string instanceId)
    {
        await foreach (var e in app.Storage.Table("CartCallInstances").QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            return e.GetString("RuntimeStatus");
        }

        return null;
    }

    private static string? OfferOf(LoopbackHookServer.Received request) =>
        JsonNode.Parse(request.Body)?["data"]?["offer"]?["offerId"]?.GetValue<string>();

    private async Task<List<JsonNode>> HesitantCheckoutAsync(string merchant, string session)
    {
        var answers = new List<JsonNode>();
        foreach (var cartEvent in AppFixture.HesitantCheckout(session, DateTimeOffset.UtcNow))
        {
            answers.Add(await PostAsync(merchant, cartEvent));
        }

        return answers;
    }

    private async Task<JsonNode> PostAsync(string merchant, object cartEvent)
    {
        using var client = app.App.CreateClient();
        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task<TableEntity?> ExperimentRowAsync(string merchant, string session)
    {
        await foreach (var e in app.Storage.Table(StorageNames.ExperimentsTable).QueryAsync<TableEntity>(e => e.RowKey == session))
        {
            if (e.GetString("MerchantId") == merchant && e.GetString("Arm") is not null)
            {
                return e;
            }
        }

        return null;
    }

    /// <summary>The widget's phone accept of a paid offer, its card confirmed at once (Stripe's test card).</summary>
    private async Task<string> AcceptPaidAsync(string merchant, string offer, string session, string shopper)
    {
        using var client = app.App.CreateClient(handleCookies: false);
        client.DefaultRequestHeaders.Add("Origin", CallsFixture.Origin);
        client.DefaultRequestHeaders.Add(PublishableKeys.Header, app.PublishableKey(merchant));
        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, mode = (string?)null, browserCanDoAudio = false,
            preferences = CallsFixture.PhonePreferences(shopper), paymentMethod = "pm_card_visa",
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["callId"]!.GetValue<string>();
    }

    /// <summary>The accept's own dial: to the app's callback URL for the call, with the orchestration's repeatability id.</summary>
    private async Task DialAsAcceptWouldAsync(string callId, string shopper, DateTimeOffset createdAt)
    {
        var acs = new AcsCallClient(new AcsOptions { ConnectionString = app.Acs.ConnectionString, RetryDelay = TimeSpan.FromMilliseconds(50) }, TimeProvider.System);
        var callback = new CallbackUrls(Options.Create(new CallsOptions { PublicBaseUrl = app.App.BaseAddress })).ForCall(callId);
        await acs.CreateCallAsync(new CreateCallRequest([new PhoneNumberIdentifier(shopper)], callback)
        {
            SourceCallerIdNumber = new PhoneNumberIdentifier(CallsFixture.MerchantNumber),
            OperationContext = callId,
            Repeatability = CallDialer.RepeatabilityOf(callId, 1, createdAt),
        }, CancellationToken.None);
    }
}
