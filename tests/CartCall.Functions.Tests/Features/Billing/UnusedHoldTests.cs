using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// A shopper who authorises a paid offer's hold and then leaves without accepting or dismissing: the app releases the
/// hold once the offer is over (here, a second after it expired), through the <c>hold-release</c> queue in the running
/// app; a hold that became a call is left to the call.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class UnusedHoldTests(CallsFixture app)
{
    [Fact]
    public async Task AHoldAuthorisedAtThePaymentStep_WhoseOfferExpiresUnaccepted_IsCancelled_AndTheBooksBalance()
    {
        var (merchant, _, _) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        var offer = await app.NewOfferAsync(merchant, session, expiresIn: TimeSpan.FromSeconds(8));
        var callId = CallIds.ForOffer(offer);
        var paymentId = await AuthoriseAtThePaymentStepAsync(merchant, session, offer);
        var holds = new TableShopperHoldStore(app.Storage);
        Assert.True((await holds.GetAsync(callId, CancellationToken.None))!.IsOpen, "the hold was released before the offer expired");

        // The shopper closes the tab: no accept, no dismissal.
        var hold = await HoldWhenAsync(holds, callId, h => !h.IsOpen, TimeSpan.FromSeconds(60));

        Assert.Equal(HoldStatus.Cancelled, hold.Status);
        Assert.Contains(hold.Reason, new[] { "unused", "provider_abandoned" });
        var intent = app.Stripe.PaymentIntents.Single(pi => pi["id"]!.GetValue<string>() == paymentId);
        Assert.Equal("canceled", intent["status"]!.GetValue<string>());
        Assert.Equal(0, intent["amount_received"]!.GetValue<long>());
        Assert.Null(await app.CallAsync(callId));
        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Count >= 2);
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
    }

    [Fact]
    public async Task TheCheckOfAHoldWhoseOfferBecameTheCall_LeavesTheHoldToTheCall()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);
        CallBillingFlow.AgentHangsUpAfter(app, merchant, TimeSpan.FromSeconds(5));
        using var client = app.WidgetClient(merchant);
        var accept = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false,
            preferences = CallsFixture.PhonePreferences(CallBillingFlow.NewNumber()), paymentMethod = "pm_card_visa",
        });
        Assert.True(accept.StatusCode == HttpStatusCode.Accepted, $"{(int)accept.StatusCode}: {await accept.Content.ReadAsStringAsync()}");

        // The queued check, run now rather than when the offer expires: the offer was accepted as this call.
        var released = await app.Service<UnusedHolds>().ReleaseIfUnusedAsync(new UnusedHoldCheck(callId, offer), CancellationToken.None);

        Assert.False(released);
        var hold = (await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None))!;
        Assert.NotEqual("unused", hold.Reason);
        Assert.NotNull(await app.CallAsync(callId));
    }

    /// <summary>The accept answers 402; the shopper confirms the card in the Payment Element (authorised, not captured).</summary>
    private async Task<string> AuthoriseAtThePaymentStepAsync(string merchant, string session, string offer)
    {
        using var client = app.WidgetClient(merchant);
        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false, preferences = CallsFixture.PhonePreferences(CallBillingFlow.NewNumber()),
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.PaymentRequired, $"{(int)response.StatusCode}: {text}");
        var secret = JsonNode.Parse(text)!["clientSecret"]!.GetValue<string>();
        var paymentId = secret[..secret.IndexOf("_secret_", StringComparison.Ordinal)];
        using var browser = new HttpClient { BaseAddress = app.Stripe.BaseAddress };
        var confirmed = await browser.PostAsync($"/v1/payment_intents/{paymentId}/confirm", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["payment_method"] = "pm_card_visa", ["client_secret"] = secret, ["key"] = StripeSettings.PublishableKey,
        }));
        Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
        return paymentId;
    }

    private static async Task<ShopperHold> HoldWhenAsync(TableShopperHoldStore holds, string callId, Func<ShopperHold, bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        ShopperHold? last = null;
        while (clock.Elapsed < timeout)
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
}
