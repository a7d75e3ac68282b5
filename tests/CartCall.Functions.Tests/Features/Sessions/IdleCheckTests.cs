using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Domain.Offers;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>
/// The issue's defect, end to end: a shopper idle in checkout is scored again as the silence grows, on the product's
/// schedule and with the shipped defaults, and is offered a call once the score says so; then the checks stop.
/// </summary>
[Collection(IdleFlowCollection.Name)]
public sealed class IdleCheckTests(IdleFlowFixture flow)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(25);

    private TableClient Table(string name) => new TableServiceClient(flow.Storage.ConnectionString).GetTableClient(name);

    /// <summary>A merchant with the shipped defaults: weights, thresholds and value model as a new merchant gets them.</summary>
    private Task<string> DefaultMerchantAsync() => flow.CreateMerchantAsync(d =>
    {
        d.Remove("scoring");
        d.Remove("valueModel");
    });

    private async Task PostAsync(string merchant, object cartEvent)
    {
        var response = await flow.Client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent, signedAt: flow.Clock.GetUtcNow()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private async Task<List<StoredDecision>> DecisionsAsync(string merchant, string session) =>
        [.. await flow.App.Services.GetRequiredService<ISessionStore>().ListDecisionsAsync(merchant, session, 100, CancellationToken.None)];

    private async Task<StoredDecision?> WaitForDecisionAsync(string merchant, string session, string cause)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if ((await DecisionsAsync(merchant, session)).FirstOrDefault(d => d.EventId == cause) is { } found)
            {
                return found;
            }

            await Task.Delay(200);
        }

        return null;
    }

    private static object Event(string session, string type, DateTimeOffset at) =>
        AppFixture.CartEvent(session, type, at, eventId: $"{session}-{type}-{at.ToUnixTimeMilliseconds()}", price: 240m);

    [Fact]
    public async Task QuietCheckout_IsScoredAgainAtEachMark_AsTheSilenceGrows_AndOfferedOnceTheScoreSaysSo()
    {
        var merchant = await DefaultMerchantAsync();
        var start = flow.Clock.GetUtcNow();
        await PostAsync(merchant, Event("s-quiet", "item_added", start.AddSeconds(-60)));
        await PostAsync(merchant, Event("s-quiet", "cart_viewed", start.AddSeconds(-40)));
        await PostAsync(merchant, Event("s-quiet", "checkout_started", start));
        var atCheckout = (await DecisionsAsync(merchant, "s-quiet")).Single(d => d.Trigger == "checkout_started");
        Assert.False(atCheckout.Propose, "at the moment of checkout the cart is below the shipped threshold");

        var checks = new List<StoredDecision>();
        foreach (var mark in IdleSchedule.Default.FirstChecks)
        {
            AdvanceTo(start + mark);
            var check = await WaitForDecisionAsync(merchant, "s-quiet", IdleSchedule.CauseId(start, mark));
            Assert.True(check is not null, $"no idle check at {mark.TotalSeconds} s of silence");
            checks.Add(check!);
            if (check!.Propose)
            {
                break;
            }
        }

        // Silence keeps counting: each check sees more of it and scores higher, until the score clears the bar.
        Assert.All(checks, c => Assert.Equal("idle", c.Trigger));
        Assert.Equal(checks.Select(c => c.Features!.IdleSeconds).Order(), checks.Select(c => c.Features!.IdleSeconds));
        Assert.True(checks.Zip(checks.Skip(1)).All(p => p.Second.Score > p.First.Score), string.Join(", ", checks.Select(c => c.Score)));
        Assert.True(atCheckout.Score < checks[0].Score);
        var offered = checks[^1];
        Assert.True(offered.Propose, "still not offered after 3 minutes of silence: " + string.Join(", ", checks.Select(c => $"{c.Score:F2}")));
        Assert.True(offered.Score >= OfferDefaults.MinScore);
        Assert.True(checks.Take(checks.Count - 1).All(c => !c.Propose && c.Score < OfferDefaults.MinScore));
        Assert.NotNull(offered.OfferId);
        Assert.Equal(1, offered.WeightsVersion);

        // The offer reaches the shopper through Event Grid, once.
        var stored = await EventuallyAsync(
            async () => await Table(StorageNames.OffersTable).GetEntityIfExistsAsync<TableEntity>(Offers_Partition(merchant, "s-quiet"), offered.OfferId!),
            r => r.HasValue);
        Assert.True(stored.HasValue, "the idle offer was never delivered");

        // An offer stops the schedule: no further check decides, however long the silence lasts.
        flow.Clock.Advance(TimeSpan.FromMinutes(6));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(checks.Count, (await DecisionsAsync(merchant, "s-quiet")).Count(d => d.Trigger == "idle"));
    }

    [Fact]
    public async Task NewEvent_RestartsTheCount_AndTheCheckForTheOlderSilenceDecidesNothing()
    {
        var merchant = await DefaultMerchantAsync();
        var start = flow.Clock.GetUtcNow();
        await PostAsync(merchant, Event("s-restart", "item_added", start.AddSeconds(-20)));
        await PostAsync(merchant, Event("s-restart", "checkout_started", start));
        flow.Clock.Advance(TimeSpan.FromSeconds(10));
        var later = flow.Clock.GetUtcNow();
        await PostAsync(merchant, Event("s-restart", "shipping_viewed", later));

        flow.Clock.Advance(TimeSpan.FromSeconds(31));
        var check = await WaitForDecisionAsync(merchant, "s-restart", IdleSchedule.CauseId(later, TimeSpan.FromSeconds(30)));

        Assert.NotNull(check);
        Assert.DoesNotContain(await DecisionsAsync(merchant, "s-restart"), d => d.EventId == IdleSchedule.CauseId(start, TimeSpan.FromSeconds(30)));
        Assert.InRange(check!.Features!.IdleSeconds, 29, 33);
        Assert.True(check.Features.ShippingDwellSeconds >= 29, "the shipping step's dwell grows with the silence too");
    }

    [Fact]
    public async Task CompletedOrder_StopsTheChecks_AndRecordsHowTheSessionEnded()
    {
        var merchant = await DefaultMerchantAsync();
        var start = flow.Clock.GetUtcNow();
        await PostAsync(merchant, Event("s-bought", "item_added", start.AddSeconds(-30)));
        await PostAsync(merchant, Event("s-bought", "checkout_started", start.AddSeconds(-10)));
        await PostAsync(merchant, Event("s-bought", "order_completed", start));

        var outcome = await EventuallyAsync(
            async () => await Table(StorageNames.OutcomesTable).GetEntityIfExistsAsync<TableEntity>(TableOutcomeStore.PartitionKey(merchant, start.AddSeconds(-30)), "s-bought"),
            r => r.HasValue);
        Assert.True(outcome.HasValue, "no outcome was recorded for the finished session");
        Assert.True(outcome.Value!.GetBoolean("Completed"));
        var loaded = await flow.App.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, "s-bought", CancellationToken.None);
        Assert.Null(loaded!.ReevaluateAt);

        flow.Clock.Advance(TimeSpan.FromMinutes(4));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(await DecisionsAsync(merchant, "s-bought"), d => d.Trigger == "idle");
    }

    [Fact]
    public async Task AbandonedCheckout_IsClosedAfterTheLastMark_WithTheFeaturesOfEveryDecision()
    {
        // A merchant that never offers (no agent) lets the whole schedule run: checks at every mark, then the close.
        var merchant = await flow.CreateMerchantAsync(d => d.Remove("scoring"), availableAgents: 0);
        var start = flow.Clock.GetUtcNow();
        await PostAsync(merchant, Event("s-left", "item_added", start.AddSeconds(-30)));
        await PostAsync(merchant, Event("s-left", "checkout_started", start));
        var marks = IdleSchedule.Default.Marks().ToList();

        foreach (var mark in marks)
        {
            AdvanceTo(start + mark);
            Assert.NotNull(await WaitForDecisionAsync(merchant, "s-left", IdleSchedule.CauseId(start, mark)));
        }

        AdvanceTo(start + IdleSchedule.Default.StopAfter);
        var outcome = await EventuallyAsync(
            async () => await Table(StorageNames.OutcomesTable).GetEntityIfExistsAsync<TableEntity>(TableOutcomeStore.PartitionKey(merchant, start), "s-left"),
            r => r.HasValue);

        Assert.True(outcome.HasValue, "the session was never closed");
        Assert.False(outcome.Value!.GetBoolean("Completed"));
        var decisions = await DecisionsAsync(merchant, "s-left");
        Assert.Equal(marks.Count, decisions.Count(d => d.Trigger == "idle"));
        Assert.Equal(marks.Count, decisions.Select(d => d.EventId).Distinct().Count(d => d!.StartsWith("idle@", StringComparison.Ordinal)));
        var outcomes = await flow.App.Services.GetRequiredService<TableOutcomeStore>().ListAsync(merchant, flow.Clock.GetUtcNow(), 2, 10, CancellationToken.None);
        Assert.Equal(decisions.Count, Assert.Single(outcomes).Snapshots.Count);
        Assert.Null((await flow.App.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, "s-left", CancellationToken.None))!.ReevaluateAt);
    }

    private void AdvanceTo(DateTimeOffset at)
    {
        var by = at - flow.Clock.GetUtcNow();
        if (by > TimeSpan.Zero)
        {
            flow.Clock.Advance(by);
        }
    }

    private static string Offers_Partition(string merchant, string session) => CartCall.Functions.Features.Offers.TableOfferStore.SessionPartition(merchant, session);

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

            await Task.Delay(200);
        }
    }
}
