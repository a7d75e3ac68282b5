using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Domain.Billing;
using CartCall.Functions.Adapters.Stripe;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.LocalCloud.Acs;
using CartCall.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>What the billing tests over the call flow share: a merchant on a plan, a call carried to its end, the books.</summary>
internal static class CallBillingFlow
{
    private static int numbers;

    /// <summary>Each merchant's one agent (its phone number), so a call's length can be set on the agent's side.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Agents = new(StringComparer.Ordinal);

    /// <summary>Browser 10 + 6/min, phone 20 + 12/min (US 20 + 30/min), per second, USD.</summary>
    public static object PlanBody(string currency = "USD") => new
    {
        timeZone = "Europe/London",
        plan = new
        {
            id = "standard",
            currency,
            monthlyFeeMinor = 4900,
            includedMinutes = 0,
            rounding = "per_second",
            rates = new object[]
            {
                new { mode = "browser", perCallMinor = 10, perMinuteMinor = 6 },
                new { mode = "phone", perCallMinor = 20, perMinuteMinor = 12 },
                new { mode = "phone", region = "US", perCallMinor = 20, perMinuteMinor = 30 },
            },
        },
    };

    public static string NewNumber() => "+1201556" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A merchant on the plan with one agent who answers; returns the merchant, session and offer.</summary>
    public static async Task<(string Merchant, string Session, string Offer)> MerchantOnPlanAsync(CallsFixture app, Action<Dictionary<string, object?>>? tweak = null)
    {
        var merchant = await app.CreateMerchantAsync(tweak);
        using (var admin = app.AdminClient())
        {
            var put = await admin.PutAsJsonAsync($"/api/merchants/{merchant}/plan", PlanBody());
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(100));
        Agents[merchant] = agent;
        await app.AddAgentAsync(merchant, "alice", phone: agent);
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        return (merchant, session, await app.NewOfferAsync(merchant, session));
    }

    /// <summary>
    /// Ends the merchant's calls <paramref name="talk"/> after its agent joins. The agent, not the shopper, hangs up: a
    /// shopper's timer runs from the shopper's answer, and on a loaded machine it can run out before the agent is added,
    /// which is a call that never connected (no charge, the hold cancelled) rather than the conversation a test wants.
    /// </summary>
    public static void AgentHangsUpAfter(CallsFixture app, string merchant, TimeSpan talk) =>
        app.Acs.Parties[Agents[merchant]] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = talk };

    /// <summary>A phone call the shopper answers, talking <paramref name="talk"/> with the agent, who then hangs up; returns the call id.</summary>
    public static async Task<string> AcceptPhoneCallAsync(CallsFixture app, string merchant, string session, string offer, TimeSpan talk)
    {
        var shopper = NewNumber();
        AgentHangsUpAfter(app, merchant, talk);
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(300));
        var response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["callId"]!.GetValue<string>();
    }

    /// <summary>The merchant-month's ledger through the admin API, once <paramref name="done"/> holds (bounded wait).</summary>
    public static async Task<JsonObject> LedgerWhenAsync(CallsFixture app, string merchant, Func<JsonObject, bool> done, TimeSpan? timeout = null)
    {
        using var admin = app.AdminClient();
        var clock = Stopwatch.StartNew();
        JsonObject? last = null;
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(120)))
        {
            HttpResponseMessage response;
            try
            {
                response = await admin.GetAsync($"/api/merchants/{merchant}/ledger");
            }
            catch (HttpRequestException)
            {
                // The worker is being restarted (a crash test killed it): ask again.
                await Task.Delay(200);
                continue;
            }

            // 5xx while the worker restarts is expected; anything else is an answer.
            if ((int)response.StatusCode < 500)
            {
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                if (done(last))
                {
                    return last;
                }
            }

            await Task.Delay(200);
        }

        Assert.Fail($"The ledger never got there; last: {last?.ToJsonString()}");
        return null!;
    }

    public static List<string> Keys(JsonObject ledger, string callId) =>
        [.. ledger["entries"]!.AsArray().Select(e => e!["key"]!.GetValue<string>()).Where(k => k.StartsWith(callId + "|", StringComparison.Ordinal))];

    /// <summary>Billing's services made in the test process over the fixture's storage and Stripe: to place holds as the accept would.</summary>
    public static BillingService Billing(CallsFixture app)
    {
        var storage = app.Storage;
        var stripe = new StripeOptions { SecretKey = app.Stripe.SecretKey, ApiBase = app.Stripe.BaseAddress, WebhookSecrets = [StripeSettings.WebhookSecret], MaxNetworkRetries = 0 };
        return new BillingService(
            new TableLedgerStore(storage, NullLogger<TableLedgerStore>.Instance),
            new TablePlanStore(storage, TimeProvider.System),
            new TableShopperHoldStore(storage),
            new StripePaymentProvider(StripePaymentProvider.CreateClient(stripe), NullLogger<StripePaymentProvider>.Instance),
            Options.Create(new BillingOptions()),
            TimeProvider.System,
            NullLogger<BillingService>.Instance);
    }

    /// <summary>The widget's first accept of a paid offer: asserts the 402 and returns its problem document.</summary>
    public static async Task<JsonNode> PaymentRequiredAsync(CallsFixture app, string merchant, string session, string offer)
    {
        using var client = app.WidgetClient(merchant);
        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false, preferences = CallsFixture.PhonePreferences(NewNumber()),
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.PaymentRequired, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The Payment Element's confirm, as the browser makes it (publishable key, client secret); returns the payment id.</summary>
    public static async Task<string> ConfirmInTheBrowserAsync(CallsFixture app, string clientSecret)
    {
        var paymentId = clientSecret[..clientSecret.IndexOf("_secret_", StringComparison.Ordinal)];
        using var browser = new HttpClient { BaseAddress = app.Stripe.BaseAddress };
        var confirmed = await browser.PostAsync($"/v1/payment_intents/{paymentId}/confirm", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["payment_method"] = "pm_card_visa", ["client_secret"] = clientSecret, ["key"] = StripeSettings.PublishableKey,
        }));
        Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
        return paymentId;
    }

    /// <summary>The call's hold once <paramref name="done"/> holds (bounded: holds change in the background).</summary>
    public static async Task<ShopperHold> HoldWhenAsync(CallsFixture app, string callId, Func<ShopperHold, bool> done, TimeSpan? timeout = null)
    {
        var holds = new TableShopperHoldStore(app.Storage);
        var clock = Stopwatch.StartNew();
        ShopperHold? last = null;
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(60)))
        {
            last = await holds.GetAsync(callId, CancellationToken.None);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"The hold of {callId} is still {last?.Status}.");
        return null!;
    }

    /// <summary>The merchant document's paid-call price: <see cref="Flat"/>.</summary>
    public static void Paid(Dictionary<string, object?> merchant) =>
        merchant["shopperPrice"] = new { kind = "flat", currency = "USD", amountMinor = 500, minimumSeconds = 1 };

    /// <summary>A flat 5.00 USD for the call, charged from the first second (the default minimum is 10 s).</summary>
    public static readonly ShopperPrice Flat = new(ShopperPriceKind.Flat, "USD", 500, MinimumSeconds: 1);
}
