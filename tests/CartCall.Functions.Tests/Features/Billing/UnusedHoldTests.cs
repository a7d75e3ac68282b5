using System.Net;
using System.Net.Http.Json;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Tests.Features.Calls;

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
        // The accept answers 402; the shopper confirms the card in the Payment Element (authorised, not captured).
        var problem = await CallBillingFlow.PaymentRequiredAsync(app, merchant, session, offer);
        var paymentId = await CallBillingFlow.ConfirmInTheBrowserAsync(app, problem["clientSecret"]!.GetValue<string>());
        Assert.True((await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None))!.IsOpen, "the hold was released before the offer expired");

        // The shopper closes the tab: no accept, no dismissal.
        var hold = await CallBillingFlow.HoldWhenAsync(app, callId, h => !h.IsOpen);

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
}
