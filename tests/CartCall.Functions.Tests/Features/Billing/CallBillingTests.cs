using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.Domain.Billing;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// Billing wired into the real app: plans through the admin API, every ended call metered and settled by the call
/// orchestration, holds captured at hang-up on the Stripe stand-in (over loopback, through Stripe.net), Stripe's
/// webhooks verified and reconciled, the books read back through the admin API.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class CallBillingTests(CallsFixture app)
{
    [Fact]
    public async Task EndedCall_IsMeteredOnce_TheBooksBalance_UsageAndStatementShowIt()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app);

        var callId = await CallBillingFlow.AcceptPhoneCallAsync(app, merchant, session, offer, TimeSpan.FromSeconds(1.5));
        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Count > 0);

        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
        Assert.Contains(callId + "|usage_charge", CallBillingFlow.Keys(ledger, callId));
        // The orchestration's settlement, run again (as a retry or a replay would): nothing is posted twice.
        var call = await app.CallAsync(callId);
        Assert.NotNull(call?.EndedAt);
        var again = await app.Service<BillingService>().SettleCallAsync(CallEndedBilling.From(CallEnded.From(call!), "US"), CancellationToken.None);
        Assert.Equal(CallBillingOutcome.Billed, again.Outcome);
        Assert.Equal(0, again.Posting.Posted);
        Assert.True(again.Posting.AlreadyPosted > 0);
        // Phone to the US: 20 per call + 30 a minute, per second of talk.
        var expected = 20 + (long)Math.Round(30m * again.Rating!.BillableSeconds / 60m, MidpointRounding.AwayFromZero);
        Assert.Equal(expected, again.Rating.Total.Minor);

        using var admin = app.AdminClient();
        var usage = (await admin.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/usage"))!;
        Assert.Equal(1, usage["billedCalls"]!.GetValue<int>());
        Assert.Equal(expected, usage["usageChargesMinor"]!.GetValue<long>());
        var period = StatementPeriod.Of(call!.ConnectedAt!.Value, "Europe/London").ToString();
        var csv = await admin.GetAsync($"/api/merchants/{merchant}/statements/{period}?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync();
        Assert.StartsWith(MonthlyStatement.CsvHeader, text, StringComparison.Ordinal);
        Assert.Contains(merchant, text, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadPlans() => new()
    {
        { """{"timeZone":"Europe/London","plan":{"id":"p","currency":"XYZ","monthlyFeeMinor":100,"includedMinutes":0,"rounding":"per_second","rates":[{"perCallMinor":1,"perMinuteMinor":1}]}}""", "XYZ" },
        { """{"timeZone":"Europe/London","plan":{"id":"p","currency":"USD","monthlyFeeMinor":-100,"includedMinutes":0,"rounding":"per_second","rates":[{"perCallMinor":1,"perMinuteMinor":1}]}}""", "monthlyFee" },
        { """{"timeZone":"Europe/London","plan":{"id":"p","currency":"USD","monthlyFeeMinor":100,"includedMinutes":0,"rounding":"per_second","rates":[{"perCallMinor":1,"perMinuteMinor":999999999}]}}""", "perMinute" },
        { """{"timeZone":"Europe/London","plan":{"id":"p","currency":"USD","monthlyFeeMinor":100,"includedMinutes":0,"rounding":"per_second","rates":[]}}""", "rates" },
        { """{"timeZone":"Mars/Olympus","plan":{"id":"p","currency":"USD","monthlyFeeMinor":100,"includedMinutes":0,"rounding":"per_second","rates":[{"perCallMinor":1,"perMinuteMinor":1}]}}""", "timeZone" },
        { """{"timeZone":"Europe/London"}""", "plan" },
    };

    [Theory]
    [MemberData(nameof(BadPlans))]
    public async Task BadPlan_Is400NamingTheProblem_AndStoresNothing(string body, string named)
    {
        var merchant = await app.CreateMerchantAsync();
        using var admin = app.AdminClient();

        var response = await admin.PutAsync($"/api/merchants/{merchant}/plan", new StringContent(body, Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(named, text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/merchants/{merchant}/plan")).StatusCode);
    }

    [Fact]
    public async Task PaidCall_HoldCapturedAtHangUp_Once_WebhooksReconciled_RefundsBounded()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app);
        var callId = await CallBillingFlow.AcceptPhoneCallAsync(app, merchant, session, offer, TimeSpan.FromSeconds(3));
        var placed = await CallBillingFlow.Billing(app).PlaceHoldAsync(callId, merchant, CallBillingFlow.Flat, DateTimeOffset.UtcNow, "Europe/London", "pm_card_visa", CancellationToken.None);
        Assert.True(placed.Ok, string.Join(" ", placed.Problems));
        Assert.Equal(HoldStatus.Held, placed.Hold!.Status);

        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Contains(callId + "|shopper_payment"));

        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
        var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["metadata"]?["call_id"]?.GetValue<string>() == callId);
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        Assert.Equal(500, intent["amount_received"]!.GetValue<long>());
        var paymentId = intent["id"]!.GetValue<string>();
        Assert.Single(app.Stripe.Requests, r => r.Path == $"/v1/payment_intents/{paymentId}/capture" && !r.Replayed && r.Status == 200);
        // Stripe's payment_intent.* deliveries reach the intake, verified and answered 2xx.
        Assert.True(await app.Stripe.WaitForWebhooksAsync(TimeSpan.FromSeconds(20)));
        var deliveries = app.Stripe.WebhookDeliveries.Where(d => d.Endpoint.AbsolutePath == "/api/billing/stripe/webhooks").ToList();
        Assert.NotEmpty(deliveries);
        Assert.All(deliveries.GroupBy(d => d.EventId), g => Assert.Contains(g, d => d.Delivered));

        using var admin = app.AdminClient();
        var tooMuch = await admin.PostAsJsonAsync($"/api/merchants/{merchant}/calls/{callId}/refunds", new { refundId = "t-1", amountMinor = 501, currency = "USD" });
        Assert.Equal(HttpStatusCode.BadRequest, tooMuch.StatusCode);
        var wrongCurrency = await admin.PostAsJsonAsync($"/api/merchants/{merchant}/calls/{callId}/refunds", new { refundId = "t-1", amountMinor = 100, currency = "QQQ" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongCurrency.StatusCode);
        for (var i = 0; i < 2; i++)
        {
            var refund = await admin.PostAsJsonAsync($"/api/merchants/{merchant}/calls/{callId}/refunds", new { refundId = "t-2", amountMinor = 200, currency = "USD" });
            Assert.True(refund.IsSuccessStatusCode, await refund.Content.ReadAsStringAsync());
        }

        Assert.Single(app.Stripe.Requests, r => r.Path == "/v1/refunds" && !r.Replayed && r.Status == 200);
        var after = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => true);
        Assert.True(after["balanced"]!.GetValue<bool>(), after.ToJsonString());
        Assert.Single(after["entries"]!.AsArray(), e => e!["kind"]!.GetValue<string>() == "refund" && e["sourceId"]!.GetValue<string>().StartsWith(callId, StringComparison.Ordinal));
        var notFound = await admin.PostAsJsonAsync($"/api/merchants/{merchant}/calls/no-such-call/refunds", new { refundId = "t-3", amountMinor = 1, currency = "USD" });
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }

    [Fact]
    public async Task PaidOffer_AcceptWithoutPayment_Is402WithTheHold_PaidInThePaymentElement_ThenTheCallGoesAheadAndIsCaptured()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var shopper = CallBillingFlow.NewNumber();
        app.Acs.Parties[shopper] = LocalCloud.Acs.PartyScript.Answers(TimeSpan.FromMilliseconds(300));
        CallBillingFlow.AgentHangsUpAfter(app, merchant, TimeSpan.FromSeconds(2));
        var callId = CallIds.ForOffer(offer);

        var first = await AcceptPaidAsync(merchant, session, offer, shopper, paymentMethod: null);

        var problem = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.PaymentRequired, first.StatusCode);
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
        Assert.Equal(500, problem["price"]!["amountMinor"]!.GetValue<long>());
        Assert.Equal(StripeSettings.PublishableKey, problem["publishableKey"]!.GetValue<string>());
        var secret = problem["clientSecret"]!.GetValue<string>();
        Assert.Null(await app.CallAsync(callId));
        Assert.DoesNotContain(app.Acs.Calls, c => c.OperationContext == callId);

        // The Payment Element stand-in's confirm: the publishable key and the client secret, never the secret key.
        var paymentId = secret[..secret.IndexOf("_secret_", StringComparison.Ordinal)];
        using (var browser = new HttpClient { BaseAddress = app.Stripe.BaseAddress })
        {
            var confirmed = await browser.PostAsync($"/v1/payment_intents/{paymentId}/confirm", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["payment_method"] = "pm_card_visa", ["client_secret"] = secret, ["key"] = StripeSettings.PublishableKey,
            }));
            Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
        }

        var second = await AcceptPaidAsync(merchant, session, offer, shopper, paymentMethod: null);
        Assert.True(second.StatusCode == HttpStatusCode.Accepted, await second.Content.ReadAsStringAsync());

        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Contains(callId + "|shopper_payment"));
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
        var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["id"]!.GetValue<string>() == paymentId);
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        Assert.Equal(500, intent["amount_received"]!.GetValue<long>());
    }

    [Fact]
    public async Task PaidOffer_DeclinedCard_Is402WithTheDecline_NoCallNoHold()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);

        var response = await AcceptPaidAsync(merchant, session, offer, CallBillingFlow.NewNumber(), "pm_card_chargeDeclinedInsufficientFunds");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.PaymentRequired, text);
        Assert.Equal("insufficient_funds", JsonNode.Parse(text)!["declineCode"]!.GetValue<string>());
        Assert.Null(await app.CallAsync(callId));
        Assert.Null(await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None));
    }

    [Fact]
    public async Task PaidOffer_AbsurdOrUnknownPrices_AreRefusedWhenTheMerchantIsSaved()
    {
        using var admin = app.AdminClient();
        foreach (var price in new object[]
        {
            new { kind = "flat", currency = "XYZ", amountMinor = 500 },
            new { kind = "flat", currency = "USD", amountMinor = -1 },
            new { kind = "flat", currency = "USD", amountMinor = 100_000_000 },
        })
        {
            var id = AppFixture.NewMerchantId();
            var doc = AppFixture.MerchantDocument(id);
            doc["shopperPrice"] = price;
            var response = await admin.PutAsJsonAsync($"/api/merchants/{id}", doc);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains("shopperPrice", text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/merchants/{id}")).StatusCode);
        }
    }

    private async Task<HttpResponseMessage> AcceptPaidAsync(string merchant, string session, string offer, string shopper, string? paymentMethod)
    {
        using var client = app.WidgetClient(merchant);
        return await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false, preferences = CallsFixture.PhonePreferences(shopper), paymentMethod,
        });
    }

    [Fact]
    public async Task StripeWebhook_Verified_BadOrStaleSignaturesRefused_ReplaysHarmless()
    {
        var callId = "call-" + Guid.NewGuid().ToString("N")[..12];
        var placed = await CallBillingFlow.Billing(app).PlaceHoldAsync(callId, AppFixture.NewMerchantId(), CallBillingFlow.Flat, DateTimeOffset.UtcNow, "Europe/London", "pm_card_visa", CancellationToken.None);
        Assert.True(placed.Ok);
        var stripeEvent = app.Stripe.Events.Last(e => e["data"]?["object"]?["metadata"]?["call_id"]?.GetValue<string>() == callId);
        var payload = stripeEvent.ToJsonString();
        using var client = app.Client();

        Task<HttpResponseMessage> PostAsync(string? signature, string body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/billing/stripe/webhooks") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (signature is not null) request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
            return client.SendAsync(request);
        }

        var now = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(null, payload)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Sign(payload, now, "whsec_not_the_endpoints_secret"), payload)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Sign(payload, now), payload.Replace("\"succeeded\"", "\"canceled\"", StringComparison.Ordinal) + " ")).StatusCode);
        var stale = await PostAsync(Sign(payload, now.AddMinutes(-10)), payload);
        Assert.Equal(HttpStatusCode.BadRequest, stale.StatusCode);
        Assert.Contains("tolerance", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        for (var i = 0; i < 2; i++)
        {
            var ok = await PostAsync(Sign(payload, DateTimeOffset.UtcNow), payload);
            Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        }

        var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
        Assert.Equal(HoldStatus.Held, hold!.Status);
    }

    private static string Sign(string payload, DateTimeOffset at, string secret = StripeSettings.WebhookSecret)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var v1 = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + payload)));
        return $"t={t},v1={v1}";
    }
}
