using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Domain.Experiments;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Storage;
using CartCall.Functions.Tests.Features.Offers;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Experiments;

/// <summary>The control group and the experiment's records, through the real offer flow.</summary>
[Collection(OfferFlowCollection.Name)]
public sealed class ExperimentFlowTests(OfferFlowFixture flow)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private T Service<T>()
        where T : notnull => flow.App.Services.GetRequiredService<T>();

    private TableClient Table(string name) => new TableServiceClient(flow.Storage.ConnectionString).GetTableClient(name);

    private async Task<JsonNode> PostAsync(string merchant, object cartEvent)
    {
        var response = await flow.Client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent, signedAt: flow.Clock.GetUtcNow()));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<List<JsonNode>> HesitantCheckoutAsync(string merchant, string session)
    {
        var answers = new List<JsonNode>();
        foreach (var cartEvent in AppFixture.HesitantCheckout(session, flow.Clock.GetUtcNow()))
        {
            answers.Add(await PostAsync(merchant, cartEvent));
        }

        return answers;
    }

    private async Task<TableEntity?> ExperimentRowAsync(string merchant, string session, Func<TableEntity, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        TableEntity? row = null;
        while (DateTime.UtcNow < deadline)
        {
            await foreach (var e in Table(StorageNames.ExperimentsTable).QueryAsync<TableEntity>(e => e.RowKey == session))
            {
                if (e.GetString("MerchantId") == merchant)
                {
                    row = e;
                }
            }

            if (row is not null && done(row))
            {
                return row;
            }

            await Task.Delay(200);
        }

        return row;
    }

    [Fact]
    public async Task ControlSession_IsDecidedAndCountedLikeAnyOther_ButItsOfferIsNeverPublishedNorAnnounced()
    {
        var merchant = await flow.CreateMerchantAsync(d => d["experiment"] = new { holdoutShare = 0.5, attributionWindowHours = 24 });
        var control = AppFixture.SessionIn(merchant, ExperimentArm.Control, "s-ho");
        var treatment = AppFixture.SessionIn(merchant, ExperimentArm.Treatment, "s-ho");

        var controlAnswers = await HesitantCheckoutAsync(merchant, control);
        var treatmentAnswers = await HesitantCheckoutAsync(merchant, treatment);

        // The storefront learns nothing of the control group's decisions.
        Assert.All(controlAnswers, a => Assert.False(a["offerProposed"]!.GetValue<bool>(), a.ToJsonString()));
        Assert.All(controlAnswers, a => Assert.Null(a["offerId"]));
        Assert.Contains(treatmentAnswers, a => a["offerProposed"]!.GetValue<bool>());

        var sessions = Service<ISessionStore>();
        var controlDecisions = await sessions.ListDecisionsAsync(merchant, control, 50, CancellationToken.None);
        var treatmentDecisions = await sessions.ListDecisionsAsync(merchant, treatment, 50, CancellationToken.None);
        var withheld = controlDecisions.Where(d => d.Propose).ToList();
        Assert.NotEmpty(withheld);
        Assert.All(withheld, d => Assert.Equal(ExperimentArm.Control, d.Arm));
        Assert.All(withheld, d => Assert.Null(d.OfferId));
        Assert.All(controlDecisions.Concat(treatmentDecisions), d => Assert.NotNull(d.Features));
        Assert.All(treatmentDecisions, d => Assert.Equal(ExperimentArm.Treatment, d.Arm));
        Assert.Equal(controlDecisions.Count(d => d.Propose), treatmentDecisions.Count(d => d.Propose));

        // Both arms take their place in the daily budget.
        var merchantDoc = await Service<IMerchantStore>().GetAsync(merchant, CancellationToken.None);
        var counter = await Table(StorageNames.CountersTable).GetEntityAsync<TableEntity>(
            merchant, TableOfferCounters.MerchantDayKey(merchantDoc!.LocalDate(flow.Clock.GetUtcNow())));
        Assert.Equal(withheld.Count + treatmentDecisions.Count(d => d.Propose), counter.Value.GetInt32("Count"));

        // Nothing of the control's reaches Event Grid or the offers table; both sessions are in the experiment.
        Assert.Empty(await Service<TableOfferStore>().ListForSessionAsync(merchant, control, CancellationToken.None));
        var wouldBe = withheld.Select(d => OfferIds.For(merchant, control, d.EventId!)).ToHashSet();
        Assert.DoesNotContain(flow.EventGrid.Deliveries, d => wouldBe.Contains(d.EventId));
        Assert.Equal("control", (await ExperimentRowAsync(merchant, control, r => r.GetString("Arm") is not null))!.GetString("Arm"));
        Assert.Equal("treatment", (await ExperimentRowAsync(merchant, treatment, r => r.GetString("Arm") is not null))!.GetString("Arm"));
    }

    [Fact]
    public async Task OfferedSession_IsFollowedFromShownToTheOrder_AndTheResultsCountItOnce()
    {
        var merchant = await flow.CreateMerchantAsync();
        var answers = await HesitantCheckoutAsync(merchant, "s-funnel");
        var offerId = answers.First(a => a["offerProposed"]!.GetValue<bool>())["offerId"]!.GetValue<string>();
        var offer = await EventuallyAsync(() => Service<TableOfferStore>().GetAsync(offerId, CancellationToken.None), o => o is not null);
        Assert.NotNull(offer);

        // The widget shows it (twice: a retry), the shopper accepts, the call connects and ends; the ends are reported twice.
        using var admin = flow.App.CreateClient();
        admin.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        var key = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{merchant}"))!["publishableKey"]!.GetValue<string>();
        using var widget = flow.App.CreateClient();
        widget.DefaultRequestHeaders.Add("Origin", "http://127.0.0.1:5173");
        widget.DefaultRequestHeaders.Add(PublishableKeys.Header, key);
        for (var i = 0; i < 2; i++)
        {
            var shown = await widget.PostAsync($"/api/offers/{offerId}/shown", JsonContent.Create(new { merchantId = merchant, sessionId = "s-funnel" }));
            Assert.Equal(HttpStatusCode.NoContent, shown.StatusCode);
        }

        var outcomes = Service<ExperimentOutcomes>();
        await outcomes.OfferAcceptedAsync(merchant, "s-funnel", CancellationToken.None);
        await outcomes.CallConnectedAsync(merchant, "s-funnel", "call-1", CancellationToken.None);
        await outcomes.CallEndedAsync(merchant, "s-funnel", "call-1", 1.5m, connected: true, CancellationToken.None);
        await outcomes.CallEndedAsync(merchant, "s-funnel", "call-1", 1.5m, connected: true, CancellationToken.None);
        await outcomes.CallEndedAsync(merchant, "s-funnel", "call-2", 0.25m, connected: false, CancellationToken.None);
        await PostAsync(merchant, AppFixture.CartEvent("s-funnel", "order_completed", flow.Clock.GetUtcNow(), price: 240m));

        var row = await ExperimentRowAsync(merchant, "s-funnel", r => r.GetDateTimeOffset("OrderCompletedAt") is not null);
        Assert.NotNull(row);
        Assert.True(row!.GetBoolean("Shown"));
        Assert.Equal("1.75", row.GetString("CallCost"));
        Assert.Equal(240m, decimal.Parse(row.GetString("OrderValue"), CultureInfo.InvariantCulture));

        var results = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{merchant}/results?bucket=day"))!;
        var total = results["total"]!;
        var funnel = total["funnel"]!;
        Assert.Equal([1, 0, 1, 1, 1, 1], new[] { "offers", "withheld", "shown", "accepted", "connected", "converted" }.Select(k => funnel[k]!.GetValue<int>()));
        Assert.Equal(1, total["treatment"]!["conversions"]!.GetValue<int>());
        Assert.Equal(1.75m, total["callCost"]!.GetValue<decimal>());
        Assert.Equal(0, total["control"]!["sessions"]!.GetValue<int>());
        // No control sessions: the margin's interval has no bound, and says so as null rather than failing.
        Assert.Null(total["incrementalMargin"]!["lower"]);
        Assert.Equal(30, results["series"]!.AsArray().Count);
        Assert.Equal(1, results["series"]!.AsArray().Sum(p => p!["report"]!["funnel"]!["offers"]!.GetValue<int>()));

        var csv = await admin.GetAsync($"/api/merchants/{merchant}/results.csv?bucket=week");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd().Split('\n');
        Assert.StartsWith("from,to,treatment_sessions", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("total,", lines[^1], StringComparison.Ordinal);
        Assert.Equal(1 + 5 + 1, lines.Length); // header, 30 days in weeks of 7 (5 buckets), total
    }

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
