using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CartCall.Domain.Carts;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using CartCall.Functions.Tests.Features.Offers;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>
/// The crash windows of issue 9, opened on purpose: a session saved with its decision and follow-ups whose dispatch
/// never happened (as when the worker dies right after the transaction). Each way back must carry the follow-ups out,
/// once: the storefront's retry of the event, the drain function, and the sweeper.
/// </summary>
[Collection(OfferFlowCollection.Name)]
public sealed class OutboxRecoveryTests(OfferFlowFixture flow)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private T Service<T>()
        where T : notnull => flow.App.Services.GetRequiredService<T>();

    private TableClient Table(string name) => new TableServiceClient(flow.Storage.ConnectionString).GetTableClient(name);

    private static CartEvent PaymentFailed(string session, DateTimeOffset at) =>
        new($"{session}-pf", session, null, at, CartEventType.PaymentFailed, new CartSnapshot("USD", [new LineItem("SKU-1", "Espresso machine", 1, 240m, 120m)]), null);

    /// <summary>What the evaluator stores for a decision to offer, stored the same way, and then nothing more: the crash.</summary>
    private async Task<(string OfferId, DateTimeOffset Due)> SaveAndCrashAsync(string merchant, string session, CartEvent cartEvent)
    {
        var now = flow.Clock.GetUtcNow();
        var loaded = new LoadedSession(CartSession.Start(merchant, session), null, null);
        Assert.True(loaded.Session.Apply(cartEvent));
        loaded.Session.RecordOfferProposed(now);
        var offerId = OfferIds.For(merchant, session, cartEvent.EventId);
        var offer = new OfferProposed(offerId, merchant, session, null, now, now.AddMinutes(10), 0.8, "payment_trouble", ["A declined card"], 240m, "USD", 5m);
        var decision = new StoredDecision(merchant, session, now, "payment_failed", cartEvent.EventId, true, 0.8, "payment_trouble", 5m, [], [], offerId);
        var due = DateTimeOffset.FromUnixTimeMilliseconds(now.AddSeconds(1).ToUnixTimeMilliseconds());
        OutboxItem[] followUps =
        [
            new(OutboxKind.Offer, offerId, JsonSerializer.Serialize(new OfferFollowUp(offer, null), AppJson.Options)),
            new(OutboxKind.Reevaluate, ReevaluationRequest.Key, JsonSerializer.Serialize(new ReevaluationRequest(merchant, session, due), AppJson.Options)),
        ];
        var saved = await Service<ISessionStore>().SaveAsync(loaded, decision, due, followUps, CancellationToken.None);
        Assert.Equal(2, saved.Outbox.Count);
        return (offerId, due);
    }

    private async Task<int> OutboxRowsAsync(string merchant, string session) =>
        (await Service<ISessionStore>().ListOutboxAsync(merchant, session, CancellationToken.None)).Count;

    /// <summary>The offer was delivered and stored once, the outbox is empty, and the pending check ran (and closed the session).</summary>
    private async Task AssertFollowedUpAsync(string merchant, string session, string offerId)
    {
        var deadline = DateTime.UtcNow + Patience;
        Azure.NullableResponse<TableEntity>? offer = null;
        LoadedSession? loaded = null;
        var rows = -1;
        while (DateTime.UtcNow < deadline)
        {
            offer = await Table(StorageNames.OffersTable).GetEntityIfExistsAsync<TableEntity>(TableOfferStore.SessionPartition(merchant, session), offerId);
            loaded = await Service<ISessionStore>().GetAsync(merchant, session, CancellationToken.None);
            rows = await OutboxRowsAsync(merchant, session);
            if (offer.HasValue && loaded?.ReevaluateAt is null && rows == 0)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(offer!.HasValue, "the offer was never delivered");
        Assert.Null(loaded!.ReevaluateAt);
        Assert.Equal(0, rows);
        var stored = 0;
        await foreach (var _ in Table(StorageNames.OffersTable).QueryAsync<TableEntity>(e => e.PartitionKey == TableOfferStore.SessionPartition(merchant, session)))
        {
            stored++;
        }

        Assert.Equal(1, stored);
        Assert.Contains(flow.EventGrid.Deliveries, d => d.EventId == offerId && d.StatusCode == 200);
    }

    [Fact]
    public async Task StorefrontRetry_OfAnEventWhoseFollowUpsWereCutOff_CarriesThemOut()
    {
        var merchant = await flow.CreateMerchantAsync();
        var cartEvent = PaymentFailed("s-crash-retry", flow.Clock.GetUtcNow());
        var (offerId, _) = await SaveAndCrashAsync(merchant, "s-crash-retry", cartEvent);

        // The storefront got no 202 and sends the event again: a duplicate, which finishes what the first attempt left.
        var body = new
        {
            eventId = cartEvent.EventId, sessionId = cartEvent.SessionId, occurredAt = cartEvent.OccurredAt, type = "payment_failed",
            cart = new { currency = "USD", items = new[] { new { sku = "SKU-1", title = "Espresso machine", quantity = 1, unitPrice = 240m, unitCost = 120m } } },
        };
        var response = await flow.Client.SendAsync(AppFixture.SignedCartEvent(merchant, body, signedAt: flow.Clock.GetUtcNow()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["duplicate"]!.GetValue<bool>());
        await AssertFollowedUpAsync(merchant, "s-crash-retry", offerId);
    }

    [Fact]
    public async Task DrainFunction_CarriesOutASessionsOutbox()
    {
        var merchant = await flow.CreateMerchantAsync();
        var (offerId, _) = await SaveAndCrashAsync(merchant, "s-crash-drain", PaymentFailed("s-crash-drain", flow.Clock.GetUtcNow()));

        var queue = new QueueClient(flow.Storage.ConnectionString, StorageNames.OutboxQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.SendMessageAsync(JsonSerializer.Serialize(new DrainRequest(merchant, "s-crash-drain"), AppJson.Options));

        await AssertFollowedUpAsync(merchant, "s-crash-drain", offerId);
    }

    [Fact]
    public async Task Sweeper_LeavesYoungRowsToTheirWriter_AndCarriesOutRowsOlderThanAMinute()
    {
        var merchant = await flow.CreateMerchantAsync();
        var (offerId, _) = await SaveAndCrashAsync(merchant, "s-crash-sweep", PaymentFailed("s-crash-sweep", flow.Clock.GetUtcNow()));
        var sweeper = Service<OutboxSweeper>();

        await SweepWholeTableAsync(sweeper);
        Assert.Equal(2, await OutboxRowsAsync(merchant, "s-crash-sweep"));

        flow.Clock.Advance(TimeSpan.FromMinutes(2));
        var swept = await SweepWholeTableAsync(sweeper);

        Assert.True(swept >= 2, $"the sweeper found {swept} rows");
        await AssertFollowedUpAsync(merchant, "s-crash-sweep", offerId);
    }

    [Fact]
    public async Task EveryFollowUpOfAnOfferDecision_IsCarriedOutAndItsRowDeleted_OnTheWayToThe202()
    {
        var merchant = await flow.CreateMerchantAsync(d => d["scoring"] = new { minScore = 0.0, minCartValue = 0 });
        var now = flow.Clock.GetUtcNow();
        var response = await flow.Client.SendAsync(AppFixture.SignedCartEvent(
            merchant, AppFixture.CartEvent("s-direct", "payment_failed", now, price: 240m), signedAt: now));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.True(answer["offerProposed"]!.GetValue<bool>(), answer.ToJsonString());
        Assert.Equal(0, await OutboxRowsAsync(merchant, "s-direct"));
        var experiment = await Table(StorageNames.ExperimentsTable).GetEntityIfExistsAsync<TableEntity>(TableExperimentStore.PartitionKey(merchant, now), "s-direct");
        Assert.True(experiment.HasValue, "the experiment row is written before the 202");
    }

    /// <summary>Sweeps until the scan has covered the whole table once; the number of rows it found.</summary>
    private static async Task<int> SweepWholeTableAsync(OutboxSweeper sweeper)
    {
        var found = 0;
        for (var i = 0; i < 20; i++)
        {
            var result = await sweeper.SweepAsync(CancellationToken.None);
            found += result.Found;
            if (result.Finished)
            {
                break;
            }
        }

        return found;
    }
}
