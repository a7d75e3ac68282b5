using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Tests.Features.Calls;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// The widget's payment step of a paid offer, on the app's side: the 402 names the Payment Element to mount, and a
/// shopper who dismisses the offer there leaves no hold behind, whether or not they had already authorised it.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class PaymentStepDismissTests(CallsFixture app)
{
    [Fact]
    public async Task PaymentRequired_NamesTheStandInsPaymentElement_AndDismissingThere_CancelsThePaymentIntent()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);

        var problem = await CallBillingFlow.PaymentRequiredAsync(app, merchant, session, offer);

        var element = problem["paymentElement"]!;
        Assert.Equal("local", element["adapter"]!.GetValue<string>());
        var secret = problem["clientSecret"]!.GetValue<string>();
        var src = new Uri(element["src"]!.GetValue<string>());
        Assert.Equal(app.Stripe.BaseAddress.GetLeftPart(UriPartial.Authority), src.GetLeftPart(UriPartial.Authority));
        Assert.Equal("/_standin/payment-element", src.AbsolutePath);
        Assert.Contains("embedded=1", src.Query, StringComparison.Ordinal);
        Assert.Contains("client_secret=" + Uri.EscapeDataString(secret), src.Query, StringComparison.Ordinal);

        await DismissAsync(merchant, session, offer);

        var paymentId = secret[..secret.IndexOf("_secret_", StringComparison.Ordinal)];
        Assert.Equal("canceled", Intent(paymentId)["status"]!.GetValue<string>());
        var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
        Assert.Equal(HoldStatus.Cancelled, hold!.Status);
        // Ours, or Stripe's payment_intent.canceled webhook for our cancel when it was reconciled first: cancelled either way.
        Assert.Contains(hold.Reason, new[] { "dismissed", "provider_abandoned" });
        Assert.Null(await app.CallAsync(callId));
        // Dismissed again (a widget retrying a lost answer): nothing more asked of Stripe.
        var cancels = app.Stripe.Requests.Count(r => r.Path == $"/v1/payment_intents/{paymentId}/cancel");
        await DismissAsync(merchant, session, offer);
        Assert.Equal(cancels, app.Stripe.Requests.Count(r => r.Path == $"/v1/payment_intents/{paymentId}/cancel"));
    }

    [Fact]
    public async Task DismissingAfterAuthorising_ReleasesTheHold_AndTheBooksBalance()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);
        var problem = await CallBillingFlow.PaymentRequiredAsync(app, merchant, session, offer);
        var secret = problem["clientSecret"]!.GetValue<string>();
        var paymentId = await CallBillingFlow.ConfirmInTheBrowserAsync(app, secret);
        Assert.Equal("requires_capture", Intent(paymentId)["status"]!.GetValue<string>());

        await DismissAsync(merchant, session, offer);

        var intent = Intent(paymentId);
        Assert.Equal("canceled", intent["status"]!.GetValue<string>());
        Assert.Equal(0, intent["amount_received"]!.GetValue<long>());
        var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
        Assert.Equal(HoldStatus.Cancelled, hold!.Status);
        // The accept after a dismissal places nothing.
        using var client = app.WidgetClient(merchant);
        var late = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false, preferences = CallsFixture.PhonePreferences(CallBillingFlow.NewNumber()),
        });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Null(await app.CallAsync(callId));
        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => true);
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
    }

    [Fact]
    public async Task DismissalArrivingWhileTheAcceptPlacesTheHold_WinsTheOffer_NoCallIsPlaced_AndTheHoldIsCancelled()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);
        var dismissals = 0;
        HttpStatusCode? dismissed = null;
        // The shopper taps "Not now" the moment Stripe has authorised the card, before the accept has stored the hold:
        // the dismissal finds no hold to release, and the offer is still open when it gets there.
        app.Stripe.AfterEffect = (method, path) =>
        {
            if (method == "POST" && path == "/v1/payment_intents" && Interlocked.Increment(ref dismissals) == 1)
            {
                using var widget = app.WidgetClient(merchant);
                dismissed = widget.PostAsJsonAsync($"/api/offers/{offer}/dismiss", new { merchantId = merchant, sessionId = session })
                    .GetAwaiter().GetResult().StatusCode;
            }
        };
        HttpResponseMessage accept;
        try
        {
            using var client = app.WidgetClient(merchant);
            accept = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
            {
                merchantId = merchant, sessionId = session, browserCanDoAudio = false,
                preferences = CallsFixture.PhonePreferences(CallBillingFlow.NewNumber()), paymentMethod = "pm_card_visa",
            });
        }
        finally
        {
            app.Stripe.AfterEffect = null;
        }

        Assert.Equal(HttpStatusCode.NoContent, dismissed);
        Assert.True(accept.StatusCode == HttpStatusCode.Conflict, $"{(int)accept.StatusCode}: {await accept.Content.ReadAsStringAsync()}");
        Assert.Null(await app.CallAsync(callId));
        var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
        Assert.Equal(HoldStatus.Cancelled, hold!.Status);
        var intent = Intent(hold.PaymentId);
        Assert.Equal("canceled", intent["status"]!.GetValue<string>());
        Assert.Equal(0, intent["amount_received"]!.GetValue<long>());
        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => true);
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
    }

    [Fact]
    public async Task DismissalAfterThePaidAcceptClaimedTheOffer_IsRefused_AndTheCallKeepsItsHold()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = CallIds.ForOffer(offer);
        using var client = app.WidgetClient(merchant);
        var accept = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new
        {
            merchantId = merchant, sessionId = session, browserCanDoAudio = false,
            preferences = CallsFixture.PhonePreferences(CallBillingFlow.NewNumber()), paymentMethod = "pm_card_visa",
        });
        Assert.True(accept.StatusCode == HttpStatusCode.Accepted, $"{(int)accept.StatusCode}: {await accept.Content.ReadAsStringAsync()}");

        var late = await client.PostAsJsonAsync($"/api/offers/{offer}/dismiss", new { merchantId = merchant, sessionId = session });

        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
        Assert.NotEqual(HoldStatus.Cancelled, hold!.Status);
        Assert.NotNull(await app.CallAsync(callId));
    }

    private async Task DismissAsync(string merchant, string session, string offer)
    {
        using var client = app.WidgetClient(merchant);
        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/dismiss", new { merchantId = merchant, sessionId = session });
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private JsonObject Intent(string paymentId) => app.Stripe.PaymentIntents.Single(pi => pi["id"]!.GetValue<string>() == paymentId);
}
