using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>The Table ledger on a real Azurite: insert-only by key, balanced entries only, balances and invariants.</summary>
public sealed class TableLedgerStoreTests(BillingInfrastructure infra) : IClassFixture<BillingInfrastructure>
{
    private static readonly StatementPeriod November = new(2026, 11);
    private static readonly DateTimeOffset At = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<LedgerTransaction> CallEntries(string merchant, string callId, int seconds = 90)
    {
        var call = new CallUsage(callId, merchant, CallMode.Phone, "GB", At, true, seconds);
        var tariff = new TelephonyTariff("USD", [new RateRule(null, null, 0, 1)]);
        return CallBilling.Bill(call, PlanSchedule.Start(BillingInfrastructure.Plan(), "Europe/Berlin"), tariff, At).Transactions;
    }

    [Fact]
    public async Task PostingTheSameEntriesAgain_PostsNothing()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        var entries = CallEntries(merchant, "call-1");

        var first = await ledger.PostAsync(entries, CancellationToken.None);
        var again = await ledger.PostAsync(entries, CancellationToken.None);

        Assert.Equal((2, 0), (first.Posted, first.AlreadyPosted));
        Assert.Equal((0, 2), (again.Posted, again.AlreadyPosted));
        Assert.Empty(again.Conflicts);
        var check = await ledger.CheckAsync(merchant, November, CancellationToken.None);
        Assert.Equal(2, check.Transactions);
        Assert.True(check.Balanced);
        Assert.Equal(2, check.Balances["USD"][LedgerAccount.TelephonyCost]);
        Assert.Equal(38, check.Balances["EUR"][LedgerAccount.MerchantReceivable]);
        Assert.Equal(-38, check.Balances["EUR"][LedgerAccount.PlatformRevenue]);
    }

    [Fact]
    public async Task ABatchWithSomeEntriesAlreadyPosted_AddsOnlyTheNewOnes()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        await ledger.PostAsync(CallEntries(merchant, "call-1"), CancellationToken.None);

        var report = await ledger.PostAsync([.. CallEntries(merchant, "call-1"), .. CallEntries(merchant, "call-2")], CancellationToken.None);

        Assert.Equal(2, report.Posted);
        Assert.Equal(2, report.AlreadyPosted);
        Assert.Equal(4, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Transactions);
    }

    [Fact]
    public async Task TheSameKeyWithOtherAmounts_IsAConflict_AndTheFirstStands()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        await ledger.PostAsync(CallEntries(merchant, "call-1", seconds: 90), CancellationToken.None);

        var report = await ledger.PostAsync([CallEntries(merchant, "call-1", seconds: 300)[0]], CancellationToken.None);

        Assert.Equal(["call-1|usage_charge"], report.Conflicts);
        var stored = await ledger.FindAsync(merchant, November, "call-1|usage_charge", CancellationToken.None);
        Assert.Equal(38, stored!.Debits);
    }

    [Fact]
    public async Task AnUnbalancedEntry_IsRefused_AndNothingOfItsBatchIsStored()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        var bad = new LedgerTransaction(merchant, "call-9", PostingKind.UsageCharge, November, At, Currency.Eur,
            [LedgerLine.Dr(LedgerAccount.MerchantReceivable, 10), LedgerLine.Cr(LedgerAccount.PlatformRevenue, 9)]);

        await Assert.ThrowsAsync<ArgumentException>(() => ledger.PostAsync([.. CallEntries(merchant, "call-8"), bad], CancellationToken.None));

        Assert.Equal(0, (await ledger.CheckAsync(merchant, November, CancellationToken.None)).Transactions);
    }

    [Fact]
    public async Task ManyConcurrentPostsOfTheSameEntries_PostEachOnce()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        var entries = Enumerable.Range(0, 20).SelectMany(i => CallEntries(merchant, $"call-{i:D2}")).ToList();

        var reports = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => ledger.PostAsync(entries, CancellationToken.None))));

        Assert.Equal(entries.Count, reports.Sum(r => r.Posted));
        Assert.All(reports, r => Assert.Empty(r.Conflicts));
        var check = await ledger.CheckAsync(merchant, null, CancellationToken.None);
        Assert.Equal(entries.Count, check.Transactions);
        Assert.True(check.Balanced);
    }

    [Fact]
    public async Task EntriesRoundTrip_WithTheirUsageDetail()
    {
        var ledger = infra.Ledger();
        var merchant = BillingInfrastructure.NewMerchant();
        var entries = CallEntries(merchant, "call/with#odd?chars");
        await ledger.PostAsync(entries, CancellationToken.None);

        var read = new List<LedgerTransaction>();
        await foreach (var e in ledger.ReadAsync(merchant, November, CancellationToken.None)) read.Add(e);

        var usage = Assert.Single(read, e => e.Kind == PostingKind.UsageCharge);
        Assert.True(usage.SameAs(entries[0]));
        Assert.Equal(entries[0].Usage, usage.Usage);
        Assert.Equal("call/with#odd?chars", usage.SourceId);
    }
}
