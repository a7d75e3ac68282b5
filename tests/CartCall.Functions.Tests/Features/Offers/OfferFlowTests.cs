using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Features.Offers;

[Collection(OfferFlowCollection.Name)]
public sealed class OfferFlowTests(OfferFlowFixture flow)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private TableClient Table(string name) => new TableServiceClient(flow.Storage.ConnectionString).GetTableClient(name);

    private async Task<JsonNode> PostAsync(string merchant, object cartEvent)
    {
        var response = await flow.Client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent, signedAt: flow.Clock.GetUtcNow()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>A shopper in trouble at checkout: the events that make a strong case for a call.</summary>
    private async Task<List<JsonNode>> HesitantCheckoutAsync(string merchant, string session, string? shopper = null)
    {
        var now = flow.Clock.GetUtcNow();
        return
        [
            await PostAsync(merchant, AppFixture.CartEvent(session, "item_added", now.AddMinutes(-9), price: 240m, shopperId: shopper)),
            await PostAsync(merchant, AppFixture.CartEvent(session, "checkout_started", now.AddMinutes(-8), price: 240m, shopperId: shopper)),
            await PostAsync(merchant, AppFixture.CartEvent(session, "shipping_viewed", now.AddMinutes(-7), price: 240m, shopperId: shopper)),
            await PostAsync(merchant, AppFixture.CartEvent(session, "payment_failed", now.AddMinutes(-2), price: 240m, shopperId: shopper)),
            await PostAsync(merchant, AppFixture.CartEvent(session, "payment_failed", now, price: 240m, shopperId: shopper)),
        ];
    }

    private static int Proposed(IEnumerable<JsonNode> answers) => answers.Count(a => a["offerProposed"]!.GetValue<bool>());

    private async Task<List<StoredDecisionRow>> DecisionsAsync(string merchant, string session)
    {
        var rows = new List<StoredDecisionRow>();
        var pk = TableSessionStore.PartitionKey(merchant, session);
        await foreach (var e in Table(StorageNames.SessionsTable).QueryAsync<TableEntity>(x => x.PartitionKey == pk))
        {
            if (e.RowKey.StartsWith("d|", StringComparison.Ordinal))
            {
                rows.Add(new StoredDecisionRow(e.GetBoolean("Propose") ?? false, e.GetString("Trigger"), e.GetString("Document")));
            }
        }

        return rows;
    }

    private sealed record StoredDecisionRow(bool Propose, string Trigger, string Document);

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task HesitantCheckout_ProposesOffer_DeliveredThroughEventGridAndStoredOnce()
    {
        var merchant = await flow.CreateMerchantAsync();

        var answers = await HesitantCheckoutAsync(merchant, "s-hesitant");

        // The cart is not worth a call while it is being built; it is once the shopper stalls in checkout.
        Assert.False(answers[0]["offerProposed"]!.GetValue<bool>(), answers[0].ToJsonString());
        var first = answers.First(a => a["offerProposed"]!.GetValue<bool>());
        var offerId = first["offerId"]!.GetValue<string>();
        Assert.InRange(Proposed(answers), 1, 2); // the merchant's per-session cap is 2
        var offers = Table(StorageNames.OffersTable);
        var partition = TableOfferStore.SessionPartition(merchant, "s-hesitant");
        var stored = await EventuallyAsync(
            async () => await offers.GetEntityIfExistsAsync<TableEntity>(partition, offerId),
            r => r.HasValue);
        Assert.True(stored.HasValue, "DeliverOffer never stored the offer: " + string.Join("; ", flow.EventGrid.Subscriptions) + " | " + string.Join("; ", flow.EventGrid.DeadLetters.Select(d => d.Reason + " " + d.Detail)));
        Assert.Equal(nameof(OfferStatus.Pending), stored.Value!.GetString("Status"));
        Assert.Contains(flow.EventGrid.Deliveries, d => d.EventId == offerId && d.StatusCode == 200);
    }

    [Fact]
    public async Task RepeatedDelivery_OfTheSameOffer_IsAcknowledgedAndStoredOnce()
    {
        var merchant = await flow.CreateMerchantAsync();
        var body = new JsonArray(new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = "of_repeat",
            ["source"] = $"/merchants/{merchant}",
            ["type"] = "CartCall.OfferProposed",
            ["datacontenttype"] = "application/json",
            ["data"] = new JsonObject
            {
                ["offerId"] = "of_repeat", ["merchantId"] = merchant, ["sessionId"] = "s-x", ["proposedAt"] = DateTimeOffset.UtcNow,
                ["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(10), ["score"] = 0.7, ["state"] = "payment_trouble",
                ["reasons"] = new JsonArray(), ["cartValue"] = 100, ["currency"] = "USD", ["expectedValue"] = 5,
            },
        }).ToJsonString();

        for (var i = 0; i < 2; i++)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json");
            var response = await flow.Client.PostAsync($"/api/offers/deliveries?code={OfferFlowFixture.DeliveryKey}", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var rows = 0;
        await foreach (var _ in Table(StorageNames.OffersTable).QueryAsync<TableEntity>(e => e.PartitionKey == $"{merchant}|s-x"))
        {
            rows++;
        }

        Assert.Equal(1, rows);
    }

    [Fact]
    public async Task DeliveryWithoutTheKey_IsRefused401()
    {
        using var content = new StringContent("[]", Encoding.UTF8, "application/cloudevents-batch+json");
        var response = await flow.Client.PostAsync("/api/offers/deliveries", content);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ValidationHandshake_EchoesTheOrigin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/offers/deliveries?code={OfferFlowFixture.DeliveryKey}");
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        var response = await flow.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
    }

    [Theory]
    [InlineData("ünï.example")]
    [InlineData("event grid")]
    public async Task ValidationHandshake_FromAnOriginThatIsNoHostName_IsRefused400(string origin)
    {
        // Echoed into WebHook-Allowed-Origin, a value that is not a header-safe host name failed the response (a 500).
        var handler = FunctionsApp.Handler();
        handler.RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8;
        using var client = new HttpClient(handler) { BaseAddress = flow.App.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/offers/deliveries?code={OfferFlowFixture.DeliveryKey}");
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", origin);
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("WebHook-Request-Origin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task NoAgentAvailable_DeclinesAndStoresTheReason()
    {
        var merchant = await flow.CreateMerchantAsync(availableAgents: 0);

        var answers = await HesitantCheckoutAsync(merchant, "s-noagent");

        Assert.Equal(0, Proposed(answers));
        // One decision per event; the session's idle check (1 s into the silence) may have added its own by now, and
        // it declines for the same reason.
        var decisions = await DecisionsAsync(merchant, "s-noagent");
        Assert.Equal(5, decisions.Count(d => d.Trigger != "idle"));
        Assert.All(decisions, d => Assert.False(d.Propose));
        Assert.Contains(decisions, d => d.Document.Contains("NoAgentAvailable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DecisionLog_ExplainsEachDecision_ToTheMerchantOnly()
    {
        var merchant = await flow.CreateMerchantAsync(availableAgents: 0);
        await HesitantCheckoutAsync(merchant, "s-log");

        var anonymous = await flow.Client.GetAsync($"/api/merchants/{merchant}/sessions/s-log/decisions");
        var log = await DecisionLogAsync(merchant, "s-log", 20);
        var one = await DecisionLogAsync(merchant, "s-log", 1);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Single(one["decisions"]!.AsArray());
        // Newest first. The session's idle checks may add decisions of their own at any time: the events' are compared.
        var decisions = log["decisions"]!.AsArray().Where(d => d!["trigger"]!.GetValue<string>() != "idle").ToList();
        Assert.True(decisions.Count >= 2, $"{decisions.Count} event decisions");
        Assert.Equal("payment_failed", decisions[0]!["trigger"]!.GetValue<string>());
        Assert.Contains(decisions[0]!["reasons"]!.AsArray(), r => r!["code"]!.GetValue<string>() == "NoAgentAvailable");
        Assert.Equal(3, decisions[0]!["scoreReasons"]!.AsArray().Count);
    }

    private async Task<JsonNode> DecisionLogAsync(string merchant, string session, int max)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/merchants/{merchant}/sessions/{session}/decisions?max={max}");
        request.Headers.Add(CartCall.Functions.Hosting.Middleware.AdminKeyMiddleware.Header, AppFixture.AdminKey);
        return JsonNode.Parse(await (await flow.Client.SendAsync(request)).Content.ReadAsStringAsync())!;
    }

    [Fact]
    public async Task OutsideBusinessHours_DeclinesWithReason()
    {
        var closedDay = flow.Clock.GetUtcNow().AddDays(3).DayOfWeek.ToString().ToLowerInvariant();
        var merchant = await flow.CreateMerchantAsync(d => d["businessHours"] = new[] { new { day = closedDay, opens = "09:00", closes = "10:00" } });

        var answers = await HesitantCheckoutAsync(merchant, "s-closed");

        Assert.Equal(0, Proposed(answers));
        Assert.Contains(await DecisionsAsync(merchant, "s-closed"), d => d.Document.Contains("OutsideBusinessHours", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AfterOrderCompleted_NoOfferIsEverProposed()
    {
        var merchant = await flow.CreateMerchantAsync();
        var now = flow.Clock.GetUtcNow();
        await PostAsync(merchant, AppFixture.CartEvent("s-done", "order_completed", now.AddMinutes(-1), price: 240m));

        var answers = await HesitantCheckoutAsync(merchant, "s-done");

        Assert.Equal(0, Proposed(answers));
        Assert.Contains(await DecisionsAsync(merchant, "s-done"), d => d.Document.Contains("OrderCompleted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DailyBudget_IsNeverExceeded_WhenManySessionsQualifyAtOnce()
    {
        var merchant = await flow.CreateMerchantAsync(d => d["dailyOfferBudget"] = 3);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => HesitantCheckoutAsync(merchant, $"s-budget-{i}")));

        // On a slow machine a session's idle check (1 s into a silence) can come between its events and take a slot
        // itself; the budget holds whoever takes it, and the storefront was told of exactly the events' offers.
        var decisions = new List<StoredDecisionRow>();
        for (var i = 0; i < 8; i++)
        {
            decisions.AddRange(await DecisionsAsync(merchant, $"s-budget-{i}"));
        }

        Assert.Equal(3, decisions.Count(d => d.Propose));
        Assert.Equal(decisions.Count(d => d.Propose && d.Trigger != "idle"), results.Sum(Proposed));
    }

    [Fact]
    public async Task IdleInCheckout_IsOfferedWithoutAnyNewEvent()
    {
        // Scored at the moment of checkout the cart is below the bar; ten silent minutes later it is above it.
        var merchant = await flow.CreateMerchantAsync(d => d["scoring"] = new { minScore = 0.4, minCartValue = 0 });
        var now = flow.Clock.GetUtcNow();
        await PostAsync(merchant, AppFixture.CartEvent("s-idle", "item_added", now.AddSeconds(-30), price: 120m));
        var atCheckout = await PostAsync(merchant, AppFixture.CartEvent("s-idle", "checkout_started", now, price: 120m));
        Assert.False(atCheckout["offerProposed"]!.GetValue<bool>(), atCheckout.ToJsonString());

        flow.Clock.Advance(TimeSpan.FromMinutes(10));

        var decisions = await EventuallyAsync(() => DecisionsAsync(merchant, "s-idle"), ds => ds.Any(d => d.Trigger == "idle"));
        var idle = Assert.Single(decisions, d => d.Trigger == "idle");
        Assert.True(idle.Propose, idle.Document);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheCartEventWebhook()
    {
        var doc = JsonNode.Parse(await flow.Client.GetStringAsync("/api/openapi.json"))!;

        Assert.Equal("CartCall", doc["info"]!["title"]!.GetValue<string>());
        var post = doc["paths"]!["/api/merchants/{merchantId}/cart-events"]!["post"]!;
        Assert.NotNull(post["requestBody"]);
        Assert.NotNull(post["responses"]!["202"]);
    }

    [Fact]
    public async Task Health_ReportsStorageReachable()
    {
        var response = await flow.Client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("healthy", body["status"]!.GetValue<string>());
        Assert.True(body["checks"]!["tables"]!["healthy"]!.GetValue<bool>());
        Assert.True(body["checks"]!["queues"]!["healthy"]!.GetValue<bool>());
    }
}
