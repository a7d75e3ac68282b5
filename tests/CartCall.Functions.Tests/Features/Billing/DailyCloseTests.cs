using System.Net;
using System.Text;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Tests.Features.Calls;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// The daily close and the quarter-hourly settlement of given-up calls as the host runs them: timer functions started
/// through the Functions host's admin API (<c>POST /admin/functions/{name}</c>), in the running app, against the Stripe
/// stand-in.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class DailyCloseTests(CallsFixture app)
{
    [Fact]
    public async Task DailyClose_RunByTheHost_CancelsAHoldThatOutlivedItsCall_AndTheBooksBalance()
    {
        var (merchant, _, _) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = "c-forgotten-" + Guid.NewGuid().ToString("N")[..10];
        var placed = await CallBillingFlow.Billing(app).PlaceHoldAsync(callId, merchant, CallBillingFlow.Flat, DateTimeOffset.UtcNow, "Europe/London", "pm_card_visa",
            CancellationToken.None);
        Assert.True(placed.Ok, string.Join(" ", placed.Problems));
        Assert.Equal(HoldStatus.Held, placed.Hold!.Status);
        // A call whose settlement never came (its orchestration gave up): the hold was placed long enough ago to be swept.
        var holds = new TableShopperHoldStore(app.Storage);
        var hold = (await holds.GetAsync(callId, CancellationToken.None))!;
        hold.CreatedAt = DateTimeOffset.UtcNow - TimeSpan.FromHours(7);
        Assert.True(await holds.TryUpdateAsync(hold, CancellationToken.None));
        var paymentId = hold.PaymentId;

        await RunTimerAsync(nameof(DailyClose));
        var swept = await CallBillingFlow.HoldWhenAsync(app, callId, h => !h.IsOpen);
        var cancels = app.Stripe.Requests.Count(r => r.Path == $"/v1/payment_intents/{paymentId}/cancel" && !r.Replayed);

        Assert.Equal(HoldStatus.Cancelled, swept.Status);
        var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["id"]!.GetValue<string>() == paymentId);
        Assert.Equal("canceled", intent["status"]!.GetValue<string>());
        Assert.Equal(1, cancels);
        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, l => CallBillingFlow.Keys(l, callId).Count >= 2);
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
    }

    [Theory]
    [InlineData(nameof(DailyClose))]
    [InlineData(nameof(SettleGivenUpCalls))]
    public async Task CallWhoseSettlementGaveUp_IsBilledAndItsHoldCaptured_ByEitherTimer_AndLeavesTheList(string timer)
    {
        var (merchant, _, _) = await CallBillingFlow.MerchantOnPlanAsync(app, CallBillingFlow.Paid);
        var callId = "c-given-up-" + Guid.NewGuid().ToString("N")[..10];
        var now = DateTimeOffset.UtcNow;
        // A call that ended a minute ago after a minute of talk, as its orchestration recorded it.
        var call = new CallRecord
        {
            CallId = callId, OfferId = "of_" + callId, MerchantId = merchant, SessionId = "s-" + callId, Mode = CallMode.Phone,
            Reason = "at_risk", Status = CallStatus.Ended, CreatedAt = now.AddMinutes(-3), ConnectedAt = now.AddMinutes(-2), EndedAt = now.AddMinutes(-1),
            DurationSeconds = 60, Outcome = CallOutcomes.Completed, ShopperPhone = CallBillingFlow.NewNumber(),
        };
        Assert.NotNull(await new TableCallStore(app.Storage).TryCreateAsync(call, CancellationToken.None));
        var placed = await CallBillingFlow.Billing(app).PlaceHoldAsync(callId, merchant, CallBillingFlow.Flat, call.CreatedAt, "Europe/London", "pm_card_visa",
            CancellationToken.None);
        Assert.True(placed.Ok, string.Join(" ", placed.Problems));
        // Its settlement gave up (Stripe was down for longer than the retries): the orchestration's last activity.
        await new BillingActivities(app.Service<CallSettlement>()).GiveUpSettlement(new GiveUpRequest(callId, "Stripe is unavailable.", now), CancellationToken.None);

        await RunTimerAsync(timer);

        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant,
            l => CallBillingFlow.Keys(l, callId) is var keys && keys.Contains(callId + "|usage_charge") && keys.Contains(callId + "|shopper_payment"));
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
        var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["id"]!.GetValue<string>() == placed.Hold!.PaymentId);
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        Assert.Equal(500, intent["amount_received"]!.GetValue<long>());
        var left = new List<string>();
        await foreach (var unsettled in app.Service<TableUnsettledCalls>().ListAsync(CancellationToken.None))
        {
            left.Add(unsettled.CallId);
        }

        Assert.DoesNotContain(callId, left);
    }

    /// <summary>Starts the timer function as an operator would; the host answers 202 and runs it in the background.</summary>
    private async Task RunTimerAsync(string function)
    {
        using var client = app.Client();
        var response = await client.PostAsync($"/admin/functions/{function}", new StringContent("""{"input":""}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
