using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Tests.Features.Calls;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// Budget feedback (issue 13, item 5) through the running app: what an ended call was billed counts against the
/// merchant's daily spending budget, once per call, and the next decision reads it.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class DailySpendBudgetTests(CallsFixture app)
{
    [Fact]
    public async Task BilledCall_UsesUpTheDailySpendingBudget_OnceHoweverOftenItIsSettled_AndTheNextSessionIsNotOffered()
    {
        // A US phone call is billed 0.20 + 0.30 a minute, so one call with any talk spends more than 0.20.
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, m => m["dailySpendBudget"] = 0.20m);
        var before = await HesitantCheckoutAsync(merchant, "s-before-" + Guid.NewGuid().ToString("N")[..8]);
        Assert.Contains(before, a => a["offerProposed"]!.GetValue<bool>());

        var callId = await CallBillingFlow.AcceptPhoneCallAsync(app, merchant, session, offer, TimeSpan.FromSeconds(1.5));
        await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Contains(callId + "|usage_charge"));
        var call = await app.CallAsync(callId);
        var rating = (await app.Service<BillingService>().SettleCallAsync(CallEndedBilling.From(CallEnded.From(call!), "US"), CancellationToken.None)).Rating!;
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(call!.EndedAt!.Value, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).DateTime);
        var spend = app.Service<TableDailySpend>();
        var spent = await SpentWhenAsync(spend, merchant, day);
        Assert.Equal(rating.Total.ToMajor(), spent);

        // The orchestration's settlement, run again as a retry or a replay would: the call is counted once.
        var activities = new BillingActivities(app.Service<CallSettlement>());
        Assert.Equal("Billed", await activities.SettleCallBilling(callId, CancellationToken.None));
        Assert.Equal("Billed", await activities.SettleCallBilling(callId, CancellationToken.None));
        Assert.Equal(spent, await spend.ReadAsync(merchant, day, CancellationToken.None));

        // What the merchant sees: the numbers the decision reads.
        using (var admin = app.AdminClient())
        {
            var budgets = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{merchant}/budgets"))!;
            Assert.Equal(spent, budgets["spentToday"]!.GetValue<decimal>());
            Assert.Equal(0.20m, budgets["dailySpendBudget"]!.GetValue<decimal>());
            Assert.Equal(1, budgets["callsToday"]!.GetValue<int>());
            Assert.Equal(day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), budgets["day"]!.GetValue<string>());
            Assert.False(budgets["offering"]!.GetValue<bool>());
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/merchants/no-such-merchant/budgets")).StatusCode);
        }

        var after = "s-after-" + Guid.NewGuid().ToString("N")[..8];
        var answers = await HesitantCheckoutAsync(merchant, after);

        Assert.DoesNotContain(answers, a => a["offerProposed"]!.GetValue<bool>());
        var latest = (await DecisionLogAsync(merchant, after))["decisions"]!.AsArray()
            .First(d => d!["trigger"]!.GetValue<string>() == "payment_failed")!;
        var reason = Assert.Single(latest["reasons"]!.AsArray(), r => r!["code"]!.GetValue<string>() == "DailySpendBudgetExhausted")!;
        Assert.Contains("daily spending budget of 0.20", reason["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NegativeSpendingBudget_Is400NamingIt_AndStoresNothing()
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["dailySpendBudget"] = -1m;
        using var admin = app.AdminClient();

        var response = await admin.PutAsync($"/api/merchants/{id}", AppFixture.Json(System.Text.Json.JsonSerializer.Serialize(doc)));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("dailySpendBudget", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/merchants/{id}")).StatusCode);
    }

    private async Task<List<JsonNode>> HesitantCheckoutAsync(string merchant, string session)
    {
        using var client = app.Client();
        var answers = new List<JsonNode>();
        foreach (var cartEvent in AppFixture.HesitantCheckout(session, DateTimeOffset.UtcNow))
        {
            var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
            answers.Add(JsonNode.Parse(text)!);
        }

        return answers;
    }

    private async Task<JsonNode> DecisionLogAsync(string merchant, string session)
    {
        using var client = app.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/merchants/{merchant}/sessions/{session}/decisions?max=20");
        request.Headers.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    /// <summary>The settlement activity counts the spend just after it posts the ledger: wait (bounded) for it.</summary>
    private static async Task<decimal> SpentWhenAsync(TableDailySpend spend, string merchant, DateOnly day)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var spent = await spend.ReadAsync(merchant, day, CancellationToken.None);
            if (spent > 0)
            {
                return spent;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"Nothing was counted against {merchant}'s spending on {day}.");
        return 0;
    }
}
