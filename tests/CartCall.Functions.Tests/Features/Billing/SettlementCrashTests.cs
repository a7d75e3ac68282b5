using CartCall.Functions.Features.Billing;
using CartCall.Functions.Tests.Features.Calls;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// The worker killed (SIGKILL) at the worst moment of a settlement: Stripe has captured the shopper's hold, the worker
/// never hears the answer. The host restarts the worker, the durable engine runs the settlement activity again, the
/// capture is repeated under the same idempotency key (Stripe replays its answer), and the books post each entry once.
/// </summary>
[Collection(WorkerProcessCallsCollection.Name)]
public sealed class SettlementCrashTests(WorkerProcessCallsFixture app)
{
    [Fact]
    public async Task WorkerKilledRightAfterTheCapture_NeitherLosesNorDoublesTheCharge()
    {
        var (merchant, session, offer) = await CallBillingFlow.MerchantOnPlanAsync(app);
        var kills = 0;
        string? paymentId = null;
        app.Stripe.AfterEffect = (method, path) =>
        {
            if (method == "POST" && paymentId is not null && path == $"/v1/payment_intents/{paymentId}/capture" && Interlocked.Increment(ref kills) == 1)
            {
                app.App.Host.Supervisor.KillCurrentWorker();
            }
        };
        try
        {
            var callId = await CallBillingFlow.AcceptPhoneCallAsync(app, merchant, session, offer, TimeSpan.FromSeconds(3));
            var placed = await CallBillingFlow.Billing(app).PlaceHoldAsync(callId, merchant, CallBillingFlow.Flat, DateTimeOffset.UtcNow, "Europe/London", "pm_card_visa", CancellationToken.None);
            Assert.True(placed.Ok, string.Join(" ", placed.Problems));
            paymentId = placed.Hold!.PaymentId;

            var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Contains(callId + "|shopper_payment"), TimeSpan.FromSeconds(180));

            Assert.Equal(1, kills);
            Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
            var keys = CallBillingFlow.Keys(ledger, callId);
            Assert.Equal(keys.Count, keys.Distinct().Count());
            Assert.Contains(callId + "|usage_charge", keys);
            var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["id"]!.GetValue<string>() == paymentId);
            Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
            Assert.Equal(500, intent["amount_received"]!.GetValue<long>());
            var captures = app.Stripe.Requests.Where(r => r.Path == $"/v1/payment_intents/{paymentId}/capture" && r.Status == 200).ToList();
            // The first capture took effect; whatever came after it was Stripe's replay of that answer.
            Assert.Single(captures, r => !r.Replayed);
            Assert.True(captures.Count >= 2, $"the settlement was not retried after the kill: {captures.Count} capture request(s)");
            var hold = await new TableShopperHoldStore(app.Storage).GetAsync(callId, CancellationToken.None);
            Assert.Equal(HoldStatus.Captured, hold!.Status);
            Assert.Equal(500, hold.CapturedMinor);
        }
        finally
        {
            app.Stripe.AfterEffect = null;
        }
    }
}
