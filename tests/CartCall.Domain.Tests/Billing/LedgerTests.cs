using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using static CartCall.Domain.Tests.Billing.CallRaterTests;
using static CartCall.Domain.Tests.Billing.MerchantPlanTests;

namespace CartCall.Domain.Tests.Billing;

public class LedgerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 3, 10, 5, 0, TimeSpan.Zero);
    private static readonly StatementPeriod November = new(2026, 11);
    private static readonly TelephonyTariff Tariff = new("USD", [new RateRule(null, null, 0, 0), new RateRule(CallMode.Phone, null, 0, 1)]);

    [Fact]
    public void ACallsEntries_EachBalance_AndAreKeyedByCallAndKind()
    {
        var bill = CallBilling.Bill(Call(seconds: 90), PlanSchedule.Start(Plan(), "Europe/Berlin"), Tariff, At);
        Assert.Equal(["call-1|usage_charge", "call-1|telephony_cost"], bill.Transactions.Select(t => t.Key));
        Assert.All(bill.Transactions, t => Assert.Empty(t.Validate()));
        Assert.Equal(38, bill.Transactions[0].Debits);
        Assert.Equal("USD", bill.Transactions[1].Currency.Code);
    }

    [Fact]
    public void Posting_TheSameKeyAgain_PostsNothing()
    {
        var journal = new Journal();
        var bill = CallBilling.Bill(Call(), PlanSchedule.Start(Plan(), "Etc/UTC"), Tariff, At);
        Assert.All(bill.Transactions, t => Assert.Equal(PostOutcome.Posted, journal.Post(t)));
        Assert.All(bill.Transactions, t => Assert.Equal(PostOutcome.AlreadyPosted, journal.Post(t)));
        Assert.Equal(2, journal.Transactions.Count);

        // A different amount under the same key is a conflict, and is not posted either.
        var altered = bill.Transactions[0] with { Lines = [LedgerLine.Dr(LedgerAccount.MerchantReceivable, 1), LedgerLine.Cr(LedgerAccount.PlatformRevenue, 1)] };
        Assert.Equal(PostOutcome.Conflict, journal.Post(altered));
        Assert.Equal(38, journal.Balances()[(LedgerAccount.MerchantReceivable, "EUR")]);
    }

    [Fact]
    public void AnUnbalancedEntry_IsRefused()
    {
        var bad = new LedgerTransaction("m-1", "call-9", PostingKind.UsageCharge, November, At, Currency.Eur,
            [LedgerLine.Dr(LedgerAccount.MerchantReceivable, 10), LedgerLine.Cr(LedgerAccount.PlatformRevenue, 9)]);
        Assert.Contains(bad.Validate(), p => p.Contains("debits 10 differ from credits 9"));
        Assert.Throws<ArgumentException>(() => new Journal().Post(bad));
        Assert.Contains(Ledgers.CheckInvariants([bad]), p => p.Contains("EUR: total debits 10 differ"));
    }

    [Fact]
    public void ACapture_ReleasesTheWholeHold_AndPassesTheFeeToTheMerchant()
    {
        var journal = new Journal();
        var held = new Money(1500, Currency.Eur);
        journal.Post(LedgerRules.HoldPlaced("m-1", "call-1", held, November, At, "pi_1")!);
        foreach (var t in CallBilling.HoldSettled("m-1", "call-1", held, new Money(300, Currency.Eur), ProviderFeeSchedule.StripeStandard, November, At, "pi_1"))
        {
            journal.Post(t);
        }

        var b = journal.Balances();
        Assert.Equal(0, b[(LedgerAccount.ShopperHolds, "EUR")]);
        Assert.Equal(0, b[(LedgerAccount.HoldCommitments, "EUR")]);
        // 300 captured, fee 2.9% + 30 = 39: the merchant is owed 261, the provider holds 261, the platform breaks even.
        Assert.Equal(-261, b[(LedgerAccount.MerchantPayable, "EUR")]);
        Assert.Equal(261, b[(LedgerAccount.ProviderBalance, "EUR")]);
        Assert.Equal(39, b[(LedgerAccount.PaymentProviderFees, "EUR")]);
        Assert.Equal(-39, b[(LedgerAccount.PlatformRevenue, "EUR")]);
        Assert.Empty(Ledgers.CheckInvariants(journal.Transactions));
    }

    [Fact]
    public void ACaptureAboveTheHold_IsRefused() =>
        Assert.Throws<ArgumentException>(() => CallBilling.HoldSettled("m-1", "c", new Money(100, Currency.Eur), new Money(101, Currency.Eur),
            ProviderFeeSchedule.StripeStandard, November, At, null));
}
