using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.Tests.EventGrid;
using Stripe;
using static CartCall.LocalCloud.Tests.Stripe.StripeTestKit;

namespace CartCall.LocalCloud.Tests.Stripe;

/// <summary>Stripe's official .NET client (Stripe.net 53.1) against the stand-in.</summary>
public sealed class StripeStandInDotNetClientTests
{
    [Fact]
    public async Task AManualCaptureHold_ConfirmedWithATestCard_CapturesPartOfTheAmount()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;

        var created = await intents.CreateAsync(Hold());
        Assert.StartsWith("pi_", created.Id);
        Assert.Equal("requires_payment_method", created.Status);
        Assert.Equal("manual", created.CaptureMethod);
        Assert.StartsWith(created.Id + "_secret_", created.ClientSecret);
        Assert.Equal("ca_123", created.Metadata["call_id"]);

        var confirmed = await intents.ConfirmAsync(created.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });
        Assert.Equal("requires_capture", confirmed.Status);
        Assert.Equal(1500, confirmed.AmountCapturable);
        Assert.StartsWith("pm_", confirmed.PaymentMethodId);
        Assert.NotEqual("pm_card_visa", confirmed.PaymentMethodId);

        var captured = await intents.CaptureAsync(created.Id, new PaymentIntentCaptureOptions { AmountToCapture = 450 });
        Assert.Equal("succeeded", captured.Status);
        Assert.Equal(450, captured.AmountReceived);
        Assert.Equal(0, captured.AmountCapturable);

        var retrieved = await intents.GetAsync(created.Id);
        Assert.Equal("succeeded", retrieved.Status);
        Assert.Equal("eur", retrieved.Currency);
    }

    [Fact]
    public async Task CreateWithConfirm_AndADecliningCard_Throws402CardErrorWithTheDeclineCode()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var options = Hold();
        options.Confirm = true;
        options.PaymentMethod = "pm_card_chargeDeclinedInsufficientFunds";

        var e = await Assert.ThrowsAsync<StripeException>(() => intents.CreateAsync(options));

        Assert.Equal(System.Net.HttpStatusCode.PaymentRequired, e.HttpStatusCode);
        Assert.Equal("card_error", e.StripeError.Type);
        Assert.Equal("card_declined", e.StripeError.Code);
        Assert.Equal("insufficient_funds", e.StripeError.DeclineCode);
        Assert.Equal("Your card has insufficient funds.", e.StripeError.Message);
        Assert.Equal("requires_payment_method", e.StripeError.PaymentIntent.Status);
        Assert.Equal("insufficient_funds", e.StripeError.PaymentIntent.LastPaymentError.DeclineCode);
        Assert.Equal("9995", e.StripeError.PaymentMethod.Card.Last4);
    }

    [Theory]
    [InlineData("pm_card_chargeDeclined", "card_declined", "generic_decline")]
    [InlineData("pm_card_chargeDeclinedExpiredCard", "expired_card", null)]
    [InlineData("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", null)]
    public async Task EachDocumentedDecliningCard_FailsWithItsCode(string paymentMethod, string code, string? declineCode)
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var pi = await intents.CreateAsync(Hold());

        var e = await Assert.ThrowsAsync<StripeException>(() =>
            intents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = paymentMethod }));

        Assert.Equal(code, e.StripeError.Code);
        Assert.Equal(declineCode, e.StripeError.DeclineCode);
        // The shopper may try another card on the same intent.
        var retried = await intents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_mastercard" });
        Assert.Equal("requires_capture", retried.Status);
    }

    [Fact]
    public async Task CapturingMoreThanHeld_OrACancelledIntent_IsRefused()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var pi = await intents.CreateAsync(Hold(1000));
        await intents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });

        var above = await Assert.ThrowsAsync<StripeException>(() =>
            intents.CaptureAsync(pi.Id, new PaymentIntentCaptureOptions { AmountToCapture = 1001 }));
        Assert.Equal("amount_to_capture", above.StripeError.Param);

        var cancelled = await intents.CancelAsync(pi.Id, new PaymentIntentCancelOptions { CancellationReason = "abandoned" });
        Assert.Equal("canceled", cancelled.Status);
        Assert.Equal("abandoned", cancelled.CancellationReason);

        var late = await Assert.ThrowsAsync<StripeException>(() => intents.CaptureAsync(pi.Id, new PaymentIntentCaptureOptions()));
        Assert.Equal("payment_intent_unexpected_state", late.StripeError.Code);
        var again = await Assert.ThrowsAsync<StripeException>(() => intents.CancelAsync(pi.Id, new PaymentIntentCancelOptions()));
        Assert.Contains("status of canceled", again.StripeError.Message);
    }

    [Fact]
    public async Task Refunds_GiveBackPartOfACapture_ButNeverMoreThanIsLeft()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var client = Client(standIn);
        var pi = await client.V1.PaymentIntents.CreateAsync(Hold(1000));
        await client.V1.PaymentIntents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });
        await client.V1.PaymentIntents.CaptureAsync(pi.Id, new PaymentIntentCaptureOptions { AmountToCapture = 600 });

        var refund = await client.V1.Refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = pi.Id, Amount = 200 });
        var tooMuch = await Assert.ThrowsAsync<StripeException>(() =>
            client.V1.Refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = pi.Id, Amount = 401 }));
        var rest = await client.V1.Refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = pi.Id });
        var none = await Assert.ThrowsAsync<StripeException>(() => client.V1.Refunds.CreateAsync(new RefundCreateOptions { PaymentIntent = pi.Id }));

        Assert.StartsWith("re_", refund.Id);
        Assert.Equal(("succeeded", 200L, pi.Id), (refund.Status, refund.Amount, refund.PaymentIntentId));
        Assert.Equal("amount_too_large", tooMuch.StripeError.Code);
        Assert.Equal(400, rest.Amount);
        Assert.Equal("charge_already_refunded", none.StripeError.Code);
    }

    [Fact]
    public async Task TheSameIdempotencyKeyAndParameters_ReplayTheFirstResponse_OtherParametersAreAnError()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var request = new RequestOptions { IdempotencyKey = "hold-ca_123" };

        var first = await intents.CreateAsync(Hold(), request);
        var second = await intents.CreateAsync(Hold(), request);

        Assert.Equal(first.Id, second.Id);
        Assert.Single(standIn.PaymentIntents);
        Assert.Equal([false, true], standIn.Requests.Select(r => r.Replayed));
        Assert.Equal(first.StripeResponse.RequestId, second.StripeResponse.RequestId);

        var e = await Assert.ThrowsAsync<StripeException>(() => intents.CreateAsync(Hold(1600), request));
        Assert.Equal("idempotency_error", e.StripeError.Type);
        Assert.Contains("hold-ca_123", e.StripeError.Message);
        Assert.Single(standIn.PaymentIntents);
    }

    [Fact]
    public async Task ADeclineUnderAnIdempotencyKey_ReplaysAsTheSameDecline()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var pi = await intents.CreateAsync(Hold());
        var confirm = new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_chargeDeclined" };
        var key = new RequestOptions { IdempotencyKey = "confirm-1" };

        var first = await Assert.ThrowsAsync<StripeException>(() => intents.ConfirmAsync(pi.Id, confirm, key));
        var replay = await Assert.ThrowsAsync<StripeException>(() => intents.ConfirmAsync(pi.Id, confirm, key));

        Assert.Equal(first.StripeError.Charge, replay.StripeError.Charge);
        Assert.True(standIn.Requests[^1].Replayed);
    }

    [Fact]
    public async Task DuringAnOutage_CallsFailWithApiError_AndSucceedAfter()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        standIn.Outage = true;

        var e = await Assert.ThrowsAsync<StripeException>(() => intents.CreateAsync(Hold(), new RequestOptions { IdempotencyKey = "k-outage" }));
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, e.HttpStatusCode);
        Assert.Equal("api_error", e.StripeError.Type);
        Assert.Empty(standIn.PaymentIntents);

        // Nothing was saved under the key during the outage, so the retry runs.
        standIn.Outage = false;
        var pi = await intents.CreateAsync(Hold(), new RequestOptions { IdempotencyKey = "k-outage" });
        Assert.Equal("requires_payment_method", pi.Status);
    }

    [Fact]
    public async Task StripeNetsOwnRetries_ThroughAnOutage_CreateOneIntent()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);
        var intents = Client(standIn, retries: 2).V1.PaymentIntents;
        standIn.Outage = true;
        var creating = intents.CreateAsync(Hold());
        Assert.True(await EventuallyAsync(() => standIn.Requests.Count >= 1));
        standIn.Outage = false;

        var pi = await creating;

        Assert.Single(standIn.PaymentIntents);
        // Stripe.net sends its own Idempotency-Key when it may retry: every attempt carried the same one.
        Assert.Single(standIn.Requests.Select(r => r.IdempotencyKey).Distinct());
        Assert.Equal(pi.Id, standIn.PaymentIntents.Single()["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task WrongKeysAndUnknownIntents_GetStripesErrors()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);

        var badKey = await Assert.ThrowsAsync<StripeException>(() => Client(standIn, "sk_test_wrong_key_1234").V1.PaymentIntents.CreateAsync(Hold()));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, badKey.HttpStatusCode);
        Assert.Contains("Invalid API Key provided", badKey.StripeError.Message);

        var publishable = await Assert.ThrowsAsync<StripeException>(() => Client(standIn, standIn.PublishableKey).V1.PaymentIntents.CreateAsync(Hold()));
        Assert.Contains("publishable API key", publishable.StripeError.Message);

        var missing = await Assert.ThrowsAsync<StripeException>(() => Client(standIn).V1.PaymentIntents.GetAsync("pi_nope"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.HttpStatusCode);
        Assert.Equal("resource_missing", missing.StripeError.Code);

        var tooSmall = await Assert.ThrowsAsync<StripeException>(() => Client(standIn).V1.PaymentIntents.CreateAsync(Hold(10, "usd")));
        Assert.Equal("amount_too_small", tooSmall.StripeError.Code);
        var badCurrency = await Assert.ThrowsAsync<StripeException>(() => Client(standIn).V1.PaymentIntents.CreateAsync(Hold(1000, "xyz")));
        Assert.Equal("currency", badCurrency.StripeError.Param);
    }

    [Fact]
    public async Task Webhooks_ArriveSignedForStripeNetsVerifier_InTheOrderOfTheLifecycle()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await StripeStandIn.StartAsync(Options(hook.Endpoint), CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var pi = await intents.CreateAsync(Hold());
        await intents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });
        await intents.CaptureAsync(pi.Id, new PaymentIntentCaptureOptions { AmountToCapture = 700 });

        Assert.True(await EventuallyAsync(() => hook.Requests.Count == 3), $"received {hook.Requests.Count}");
        var events = hook.Requests.Select(r => EventUtility.ConstructEvent(r.Body, r.Header("Stripe-Signature"), WebhookSecret)).ToList();
        var raised = standIn.Events.Select(e => e["id"]!.GetValue<string>()).ToList();
        Assert.Equal(["payment_intent.created", "payment_intent.amount_capturable_updated", "payment_intent.succeeded"],
            events.OrderBy(e => raised.IndexOf(e.Id)).Select(e => e.Type));
        var succeeded = (PaymentIntent)events.Single(e => e.Type == "payment_intent.succeeded").Data.Object;
        Assert.Equal(700, succeeded.AmountReceived);
        Assert.Equal(pi.Id, succeeded.Id);

        // A body signed with another secret does not verify.
        Assert.Throws<StripeException>(() => EventUtility.ConstructEvent(hook.Requests[0].Body, hook.Requests[0].Header("Stripe-Signature"), "whsec_other"));
    }

    [Fact]
    public async Task AWebhookAnsweredWithAnError_IsRetriedUntilItSucceeds()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(500, 503);
        await using var standIn = await StripeStandIn.StartAsync(Options(hook.Endpoint), CancellationToken.None);
        await Client(standIn).V1.PaymentIntents.CreateAsync(Hold());

        Assert.True(await standIn.WaitForWebhooksAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([500, 503, 200], standIn.WebhookDeliveries.Select(d => d.Status ?? 0));
        Assert.Equal([1, 2, 3], standIn.WebhookDeliveries.Select(d => d.Attempt));
        Assert.Single(hook.Requests.Select(r => r.Body).Distinct());
    }

    [Fact]
    public async Task WhileASecretIsRolled_EachDeliveryIsSignedWithBoth()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        const string older = "whsec_the_previous_secret_abcdef";
        await using var standIn = await StripeStandIn.StartAsync(Options(hook.Endpoint, WebhookSecret, older), CancellationToken.None);
        await Client(standIn).V1.PaymentIntents.CreateAsync(Hold());

        Assert.True(await EventuallyAsync(() => hook.Requests.Count == 1));
        var header = hook.Requests[0].Header("Stripe-Signature")!;
        Assert.Equal(2, header.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
        Assert.Equal("payment_intent.created", EventUtility.ConstructEvent(hook.Requests[0].Body, header, older).Type);
        Assert.Equal("payment_intent.created", EventUtility.ConstructEvent(hook.Requests[0].Body, header, WebhookSecret).Type);
    }

    [Fact]
    public async Task AHoldNotCapturedWithinTheAuthorizationWindow_IsCancelledAutomatically()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var options = Options();
        options.TimeProvider = clock;
        await using var standIn = await StripeStandIn.StartAsync(options, CancellationToken.None);
        var intents = Client(standIn).V1.PaymentIntents;
        var pi = await intents.CreateAsync(Hold());
        await intents.ConfirmAsync(pi.Id, new PaymentIntentConfirmOptions { PaymentMethod = "pm_card_visa" });

        clock.Advance(TimeSpan.FromDays(7));

        var expired = await intents.GetAsync(pi.Id);
        Assert.Equal("canceled", expired.Status);
        Assert.Equal("automatic", expired.CancellationReason);
        Assert.Contains(standIn.Events, e => e["type"]!.GetValue<string>() == "payment_intent.canceled");
    }
}

internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
