using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Stripe;
using CartCall.Functions.Features.Billing;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>The billing service on a real Azurite and the Stripe stand-in, through Stripe.net.</summary>
public sealed class BillingServiceTests(BillingInfrastructure infra) : IClassFixture<BillingInfrastructure>
{
    private const string Zone = "Europe/Berlin";
    private static readonly DateTimeOffset Start = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly StatementPeriod November = new(2026, 11);
    private static readonly ShopperPrice PerMinute = new(ShopperPriceKind.PerMinute, "EUR", 150, 1500);

    private static CallEndedBilling Ended(string merchant, string callId, int seconds, CallMode mode = CallMode.Phone, string? region = "GB", int minutesLater = 0)
    {
        var created = Start.AddMinutes(minutesLater);
        var connected = seconds > 0 ? created.AddSeconds(20) : (DateTimeOffset?)null;
        return new CallEndedBilling(callId, merchant, mode, region, created, connected, (connected ?? created).AddSeconds(seconds + 1), seconds);
    }

    private async Task<(BillingService Billing, StatementService Statements, TableLedgerStore Ledger, TablePlanStore Plans, TableShopperHoldStore Holds, string Merchant)> MerchantAsync(
        MerchantPlan? plan = null, TimeProvider? time = null)
    {
        var services = infra.Services(time);
        var merchant = BillingInfrastructure.NewMerchant();
        var (_, problems) = await services.Plans.SetAsync(merchant, plan ?? BillingInfrastructure.Plan(), Zone, Start.AddDays(-30), CancellationToken.None);
        Assert.Empty(problems);
        return (services.Billing, services.Statements, services.Ledger, services.Plans, services.Holds, merchant);
    }

    private int Captures(string paymentId) => infra.Stripe.Requests.Count(r => r.Path.EndsWith(paymentId + "/capture", StringComparison.Ordinal) && !r.Replayed && r.Status == 200);

    [Fact]
    public async Task APaidCall_IsHeldAtAccept_CapturedAtHangUp_AndBilledOnceHoweverOftenItEnds()
    {
        var (billing, _, ledger, _, holds, merchant) = await MerchantAsync();
        var placed = await billing.PlaceHoldAsync("call-paid", merchant, PerMinute, Start, Zone, "pm_card_visa", CancellationToken.None);
        Assert.True(placed.Ok, string.Join(" ", placed.Problems));
        Assert.Equal(HoldStatus.Held, placed.Hold!.Status);

        var first = await billing.SettleCallAsync(Ended(merchant, "call-paid", 95), CancellationToken.None);
        var replay = await billing.SettleCallAsync(Ended(merchant, "call-paid", 95), CancellationToken.None);

        Assert.Equal(CallBillingOutcome.Billed, first.Outcome);
        Assert.Equal(20 + 19, first.Rating!.TotalMinor);
        Assert.Equal(new HoldSettlement(HoldStatus.Captured, 300, null), first.Hold);
        Assert.Equal(first.Hold, replay.Hold);
        Assert.Equal(0, replay.Posting.Posted);
        Assert.Equal(1, Captures(placed.Hold.PaymentId));
        Assert.Equal(300, infra.Stripe.PaymentIntents.Single(p => p["id"]!.GetValue<string>() == placed.Hold.PaymentId)["amount_received"]!.GetValue<long>());

        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced, string.Join(" ", check.Problems));
        var eur = check.Balances["EUR"];
        Assert.Equal(0, eur[LedgerAccount.ShopperHolds]);
        Assert.Equal(39, eur[LedgerAccount.MerchantReceivable]);
        // 300 captured less Stripe's 2.9% + 30 (39) is owed to the merchant.
        Assert.Equal(-261, eur[LedgerAccount.MerchantPayable]);
        Assert.Equal(HoldStatus.Captured, (await holds.GetAsync("call-paid", CancellationToken.None))!.Status);
    }

    [Theory]
    [InlineData(0, "never_connected")]
    [InlineData(9, "shorter_than_minimum")]
    public async Task AHoldIsCancelled_WhenTheCallNeverConnectedOrWasTooShort(int seconds, string reason)
    {
        var (billing, _, ledger, _, _, merchant) = await MerchantAsync();
        var callId = "call-short-" + seconds;
        var placed = await billing.PlaceHoldAsync(callId, merchant, PerMinute, Start, Zone, "pm_card_visa", CancellationToken.None);

        var result = await billing.SettleCallAsync(Ended(merchant, callId, seconds), CancellationToken.None);

        Assert.Equal(new HoldSettlement(HoldStatus.Cancelled, null, reason), result.Hold);
        Assert.Equal("canceled", infra.Stripe.PaymentIntents.Single(p => p["id"]!.GetValue<string>() == placed.Hold!.PaymentId)["status"]!.GetValue<string>());
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced);
        Assert.Equal(0, check.Balances["EUR"][LedgerAccount.ShopperHolds]);
        Assert.False(check.Balances["EUR"].ContainsKey(LedgerAccount.MerchantPayable));
    }

    [Fact]
    public async Task ADeclinedCard_PlacesNoHold_AndPostsNothing()
    {
        var (billing, _, ledger, _, holds, merchant) = await MerchantAsync();

        var placed = await billing.PlaceHoldAsync("call-declined", merchant, PerMinute, Start, Zone, "pm_card_chargeDeclined", CancellationToken.None);

        Assert.False(placed.Ok);
        Assert.Equal("generic_decline", placed.DeclineCode);
        Assert.Null(await holds.GetAsync("call-declined", CancellationToken.None));
        Assert.Equal(0, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Transactions);
    }

    [Fact]
    public async Task BadPricesAndBadCalls_AreRefusedWithReasons_AndPostNothing()
    {
        var (billing, _, ledger, _, _, merchant) = await MerchantAsync();

        var badPrice = await billing.PlaceHoldAsync("call-x", merchant, new ShopperPrice(ShopperPriceKind.Flat, "EUX", -5), Start, Zone, null, CancellationToken.None);
        var badCall = await billing.SettleCallAsync(Ended(merchant, "call-y", 90) with { DurationSeconds = 200_000 }, CancellationToken.None);
        var noPlan = await billing.SettleCallAsync(Ended("merchant-without-plan", "call-z", 90), CancellationToken.None);

        Assert.Contains(badPrice.Problems, p => p.Contains("ISO 4217"));
        Assert.Contains(badPrice.Problems, p => p.Contains("must be positive"));
        Assert.Equal(CallBillingOutcome.Invalid, badCall.Outcome);
        Assert.Equal(CallBillingOutcome.NoPlan, noPlan.Outcome);
        Assert.Equal(0, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Transactions);
        Assert.DoesNotContain(infra.Stripe.PaymentIntents, p => p["metadata"]!["call_id"]?.GetValue<string>() == "call-x");
    }

    [Fact]
    public async Task AnOutageAtHangUp_LeavesNoDanglingHold_OnceTheRetrySucceeds()
    {
        var (billing, _, ledger, _, holds, merchant) = await MerchantAsync();
        var placed = await billing.PlaceHoldAsync("call-outage", merchant, PerMinute, Start, Zone, "pm_card_visa", CancellationToken.None);

        infra.Stripe.Outage = true;
        try
        {
            await Assert.ThrowsAsync<PaymentProviderUnavailableException>(() => billing.SettleCallAsync(Ended(merchant, "call-outage", 200), CancellationToken.None));
        }
        finally
        {
            infra.Stripe.Outage = false;
        }

        Assert.Equal(HoldStatus.Held, (await holds.GetAsync("call-outage", CancellationToken.None))!.Status);
        var retried = await billing.SettleCallAsync(Ended(merchant, "call-outage", 200), CancellationToken.None);

        Assert.Equal(new HoldSettlement(HoldStatus.Captured, 600, null), retried.Hold);
        Assert.Equal(1, Captures(placed.Hold!.PaymentId));
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced);
        Assert.Equal(0, check.Balances["EUR"][LedgerAccount.ShopperHolds]);
        Assert.NotNull(await ledger.FindAsync(merchant, November, "call-outage|usage_charge", CancellationToken.None));
    }

    [Fact]
    public async Task TheAuthorisationWebhook_MarksAPendingHoldHeld_AndAReplayChangesNothing()
    {
        await using var inbox = await WebhookInbox.StartAsync();
        infra.Stripe.AddWebhookEndpoint(inbox.Url, BillingInfrastructure.WebhookSecret, ["payment_intent.amount_capturable_updated"]);
        var (billing, _, ledger, _, holds, merchant) = await MerchantAsync();
        var placed = await billing.PlaceHoldAsync("call-element", merchant, PerMinute, Start, Zone, paymentMethod: null, CancellationToken.None);
        Assert.Equal(HoldStatus.Pending, placed.Hold!.Status);
        Assert.StartsWith(placed.Hold.PaymentId + "_secret_", placed.ClientSecret);

        // The shopper confirms in the Payment Element (here: Stripe.net with the publishable key and the client secret).
        var browser = new StripeNet.StripeClient(new StripeNet.StripeClientOptions
        {
            ApiKey = infra.Stripe.PublishableKey, ApiBase = infra.Stripe.BaseAddress.AbsoluteUri.TrimEnd('/'),
            HttpClient = new StripeNet.SystemNetHttpClient(new HttpClient(new SocketsHttpHandler { UseProxy = false }), 0),
        });
        await browser.V1.PaymentIntents.ConfirmAsync(placed.Hold.PaymentId, new StripeNet.PaymentIntentConfirmOptions
        {
            PaymentMethod = "pm_card_visa", ClientSecret = placed.ClientSecret,
        });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!inbox.Received.Any(r => r.Body.Contains(placed.Hold.PaymentId, StringComparison.Ordinal)) && DateTime.UtcNow < deadline) await Task.Delay(25);
        var (body, signature) = inbox.Received.Single(r => r.Body.Contains(placed.Hold.PaymentId, StringComparison.Ordinal));

        var verifier = new StripeWebhookVerifier(Options.Create(infra.StripeOptions()), TimeProvider.System);
        var verified = verifier.Verify(body, signature);
        Assert.True(verified.Ok, verified.Problem);
        var reconciled = await billing.ReconcileAsync(verified.Event!, CancellationToken.None);
        var again = await billing.ReconcileAsync(verified.Event!, CancellationToken.None);

        Assert.Equal(HoldStatus.Held, reconciled!.Status);
        Assert.Equal(reconciled, again);
        Assert.Equal(HoldStatus.Held, (await holds.GetAsync("call-element", CancellationToken.None))!.Status);
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.Equal(1500, check.Balances["EUR"][LedgerAccount.ShopperHolds]);

        var settled = await billing.SettleCallAsync(Ended(merchant, "call-element", 61), CancellationToken.None);
        Assert.Equal(new HoldSettlement(HoldStatus.Captured, 300, null), settled.Hold);
        Assert.Equal(0, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Balances["EUR"][LedgerAccount.ShopperHolds]);
    }

    [Fact]
    public async Task ManyCallEndedEventsForOneMerchantAtOnce_WithDuplicates_BillEachCallOnce()
    {
        var (billing, statements, ledger, _, _, merchant) = await MerchantAsync();
        var calls = Enumerable.Range(0, 30).Select(i => Ended(merchant, $"call-{i:D2}", 30 + (i * 7), i % 3 == 0 ? CallMode.Browser : CallMode.Phone,
            i % 4 == 0 ? "US" : "GB", minutesLater: i)).ToList();
        foreach (var paid in calls.Where((_, i) => i % 5 == 0))
        {
            Assert.True((await billing.PlaceHoldAsync(paid.CallId, merchant, PerMinute, paid.CreatedAt, Zone, "pm_card_mastercard", CancellationToken.None)).Ok);
        }

        // Every event three times, all at once: at-least-once delivery meeting parallel instances.
        var deliveries = calls.Concat(calls).Concat(calls).OrderBy(_ => Random.Shared.Next()).ToList();
        var results = await Task.WhenAll(deliveries.Select(c => Task.Run(async () =>
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    return await billing.SettleCallAsync(c, CancellationToken.None);
                }
                catch (PaymentProviderUnavailableException) when (attempt < 5)
                {
                    // Two deliveries capturing the same hold at the same instant: Stripe answers 409 to one; it retries.
                    await Task.Delay(100);
                }
            }
        })));

        Assert.All(results, r => Assert.Equal(CallBillingOutcome.Billed, r.Outcome));
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced, string.Join(" ", check.Problems));
        Assert.Equal(0, check.Balances["EUR"][LedgerAccount.ShopperHolds]);
        var expected = calls.Sum(c => CallRater.Rate(BillingInfrastructure.Plan(), c.ToUsage()).TotalMinor);
        Assert.Equal(expected, check.Balances["EUR"][LedgerAccount.MerchantReceivable]);
        var statement = await statements.BuildAsync(merchant, November, CancellationToken.None);
        Assert.Equal(30, statement!.BilledCalls);
        Assert.Equal(6, statement.ShopperPaymentCount);
        Assert.All(infra.Stripe.PaymentIntents.Where(p => p["metadata"]!["merchant_id"]?.GetValue<string>() == merchant),
            p => Assert.Equal(1, Captures(p["id"]!.GetValue<string>())));
    }

    [Fact]
    public async Task APlanChange_AppliesFromTheMerchantsNextLocalDay()
    {
        var (billing, _, ledger, plans, _, merchant) = await MerchantAsync();
        // 22:30 UTC on 3 Nov is 23:30 in Berlin: the new plan applies from 4 Nov, Berlin time.
        var (from, problems) = await plans.SetAsync(merchant, BillingInfrastructure.Plan("pro") with { Rates = [new RateRule(null, null, 100, 0)] },
            Zone, new DateTimeOffset(2026, 11, 3, 22, 30, 0, TimeSpan.Zero), CancellationToken.None);
        Assert.Empty(problems);
        Assert.Equal(new DateOnly(2026, 11, 4), from);

        var sameDay = await billing.SettleCallAsync(Ended(merchant, "call-before", 60, minutesLater: 13 * 60 - 30), CancellationToken.None);
        var nextDay = await billing.SettleCallAsync(Ended(merchant, "call-after", 60, minutesLater: 13 * 60 + 10), CancellationToken.None);

        Assert.Equal("standard", sameDay.Rating!.PlanId);
        Assert.Equal("pro", nextDay.Rating!.PlanId);
        Assert.Equal(100, nextDay.Rating.TotalMinor);
        var currency = await plans.SetAsync(merchant, BillingInfrastructure.Plan() with { Currency = "USD" }, Zone, Start, CancellationToken.None);
        Assert.Contains(currency.Problems, p => p.Contains("keeps the currency"));
        Assert.True((await ledger.CheckAsync(merchant, November, CancellationToken.None)).Balanced);
    }

    [Fact]
    public async Task TheMonthlyStatement_AgreesWithTheLedger_AndClosingTheMonthTwicePostsOnce()
    {
        var (billing, statements, ledger, _, _, merchant) = await MerchantAsync(BillingInfrastructure.Plan(included: 1));
        await billing.PlaceHoldAsync("s-1", merchant, new ShopperPrice(ShopperPriceKind.Flat, "EUR", 500), Start, Zone, "pm_card_visa", CancellationToken.None);
        await billing.SettleCallAsync(Ended(merchant, "s-1", 90), CancellationToken.None);
        await billing.SettleCallAsync(Ended(merchant, "s-2", 60, CallMode.Browser, null, 5), CancellationToken.None);

        var (closed, posting) = await billing.CloseMonthAsync(merchant, November, statements, CancellationToken.None);
        var (_, again) = await billing.CloseMonthAsync(merchant, November, statements, CancellationToken.None);
        var statement = await statements.BuildAsync(merchant, November, CancellationToken.None);
        var csv = await statements.BuildCsvAsync(merchant, November, CancellationToken.None);

        Assert.Equal(2, posting.Posted);
        Assert.Equal(0, again.Posted);
        Assert.True(statement!.Closed);
        Assert.Equal(closed! with { Usage = statement.Usage }, statement);
        Assert.Equal(closed.Usage, statement.Usage);
        Assert.Equal(38 + 16, statement.UsageChargesMinor);
        Assert.Equal(12, statement.IncludedMinutesCreditMinor);
        Assert.Equal(500, statement.ShopperPaymentsMinor);
        Assert.Equal(45, statement.FeesMinor);
        Assert.Equal(500 - 45 - (4900 + 54 - 12), statement.NetMinor);
        Assert.Contains($"{merchant},2026-11,EUR,net,,,,,{statement.NetMinor},", csv, StringComparison.Ordinal);
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced);
        Assert.Equal(statement.ChargesMinor, check.Balances["EUR"][LedgerAccount.MerchantReceivable]);
    }

    [Fact]
    public async Task TheSweep_CancelsHoldsLeftOpenLongAfterTheirCall()
    {
        var clock = new ManualClock();
        var (billing, _, _, _, holds, merchant) = await MerchantAsync(time: clock);
        var placed = await billing.PlaceHoldAsync("call-abandoned", merchant, PerMinute, Start, Zone, "pm_card_visa", CancellationToken.None);
        var pending = await billing.PlaceHoldAsync("call-never-paid", merchant, PerMinute, Start, Zone, null, CancellationToken.None);

        Assert.Equal(0, await billing.SweepHoldsAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromHours(7));
        var swept = await billing.SweepHoldsAsync(CancellationToken.None);

        Assert.True(swept >= 2);
        Assert.Equal(HoldStatus.Cancelled, (await holds.GetAsync("call-abandoned", CancellationToken.None))!.Status);
        Assert.Equal("swept", (await holds.GetAsync("call-never-paid", CancellationToken.None))!.Reason);
        Assert.All(new[] { placed.Hold!.PaymentId, pending.Hold!.PaymentId }, id =>
            Assert.Equal("canceled", infra.Stripe.PaymentIntents.Single(p => p["id"]!.GetValue<string>() == id)["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ARefundAboveWhatWasCaptured_IsRefusedAndPostsNothing_AndARetriedRefundRefundsOnce()
    {
        var (billing, statements, ledger, _, _, merchant) = await MerchantAsync();
        Assert.True((await billing.PlaceHoldAsync("call-refund", merchant, PerMinute, Start, Zone, "pm_card_visa", CancellationToken.None)).Ok);
        await billing.SettleCallAsync(Ended(merchant, "call-refund", 100), CancellationToken.None);
        var before = await ledger.CheckAsync(merchant, November, CancellationToken.None);

        var tooMuch = await billing.RefundAsync("call-refund", new Money(301, Currency.Eur), "ticket-0", CancellationToken.None);
        Assert.False(tooMuch.Ok);
        Assert.Contains(tooMuch.Problems, p => p.Contains("more than the 3.00 EUR captured"));
        Assert.Equal(before.Transactions, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Transactions);

        var first = await billing.RefundAsync("call-refund", new Money(100, Currency.Eur), "ticket-1", CancellationToken.None);
        var retried = await billing.RefundAsync("call-refund", new Money(100, Currency.Eur), "ticket-1", CancellationToken.None);
        var over = await billing.RefundAsync("call-refund", new Money(201, Currency.Eur), "ticket-2", CancellationToken.None);

        Assert.True(first.Ok);
        Assert.Equal(100, retried.RefundedMinor);
        Assert.False(over.Ok);
        Assert.Equal(1, infra.Stripe.Requests.Count(r => r.Path == "/v1/refunds" && r.Status == 200 && !r.Replayed));
        var statement = await statements.BuildAsync(merchant, November, CancellationToken.None);
        Assert.Equal(100, statement!.RefundsMinor);
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.True(check.Balanced);
        Assert.Equal(-261 + 100, check.Balances["EUR"][LedgerAccount.MerchantPayable]);
    }

    [Fact]
    public async Task TheDailyClose_ClosesLastMonthEarlyInTheMerchantsMonth_OnlyOnce()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
        var (billing, statements, ledger, _, _, merchant) = await MerchantAsync(time: clock);
        await billing.SettleCallAsync(Ended(merchant, "close-1", 120), CancellationToken.None);

        var first = await billing.DailyCloseAsync(statements, CancellationToken.None);
        var second = await billing.DailyCloseAsync(statements, CancellationToken.None);

        Assert.Contains($"{merchant}/2026-11", first.MonthsClosed);
        Assert.DoesNotContain($"{merchant}/2026-11", second.MonthsClosed);
        Assert.True((await statements.BuildAsync(merchant, November, CancellationToken.None))!.Closed);
        Assert.NotNull(await ledger.FindAsync(merchant, November, $"{merchant}/2026-11|plan_fee", CancellationToken.None));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
