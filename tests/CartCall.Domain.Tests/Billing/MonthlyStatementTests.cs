using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using static CartCall.Domain.Tests.Billing.MerchantPlanTests;

namespace CartCall.Domain.Tests.Billing;

public class MonthlyStatementTests
{
    private static readonly DateTimeOffset Nov3 = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly StatementPeriod November = new(2026, 11);

    private static (MerchantPlan Plan, Journal Journal) Month()
    {
        // 1 included minute; phone GB at 20 + 12/min per second.
        var plan = Plan(included: 1);
        var schedule = PlanSchedule.Start(plan, "Europe/Berlin");
        var journal = new Journal();
        var tariff = TelephonyTariff.Free("USD");
        void Call(string id, CallMode mode, string? region, int seconds, int minutesLater)
        {
            var usage = new CallUsage(id, "m-1", mode, region, Nov3.AddMinutes(minutesLater), seconds > 0, seconds);
            foreach (var t in CallBilling.Bill(usage, schedule, tariff, usage.StartedAt.AddSeconds(seconds)).Transactions) journal.Post(t);
        }

        Call("c1", CallMode.Phone, "GB", 90, 0);    // 20 + 18
        Call("c2", CallMode.Phone, "GB", 30, 5);    // 20 + 6
        Call("c3", CallMode.Browser, null, 60, 9);  // 10 + 5
        Call("c4", CallMode.Phone, "US", 0, 12);    // never connected: nothing
        var held = new Money(500, Currency.Eur);
        journal.Post(LedgerRules.HoldPlaced("m-1", "c1", held, November, Nov3, "pi_1")!);
        foreach (var t in CallBilling.HoldSettled("m-1", "c1", held, held, ProviderFeeSchedule.StripeStandard, November, Nov3, "pi_1")) journal.Post(t);
        return (plan, journal);
    }

    [Fact]
    public void TheStatement_SumsUsageChargesPaymentsAndFees()
    {
        var (plan, journal) = Month();
        var s = StatementBuilder.Build("m-1", November, "Europe/Berlin", plan, journal.Transactions);

        Assert.Equal(3, s.BilledCalls);
        Assert.Equal(180, s.BillableSeconds);
        Assert.Equal(38 + 26 + 15, s.UsageChargesMinor);
        Assert.Equal(4900, s.MonthlyFeeMinor);
        // The included minute covers c1's 60 of 90 seconds at 12/min.
        Assert.Equal(12, s.IncludedMinutesCreditMinor);
        Assert.Equal(4900 + 79 - 12, s.ChargesMinor);
        Assert.Equal(1, s.ShopperPaymentCount);
        Assert.Equal(500, s.ShopperPaymentsMinor);
        Assert.Equal(45, s.FeesMinor);
        Assert.Equal(500 - 45 - (4900 + 79 - 12), s.NetMinor);
        Assert.Equal([(CallMode.Browser, (string?)null, 1), (CallMode.Phone, "GB", 2)], s.Usage.Select(u => (u.Mode, u.Region, u.Calls)));
        Assert.False(s.Closed);
    }

    [Fact]
    public void ClosingTheMonth_PostsWhatTheStatementShows_AndTheStatementStaysTheSame()
    {
        var (plan, journal) = Month();
        var open = StatementBuilder.Build("m-1", November, "Europe/Berlin", plan, journal.Transactions);
        foreach (var t in StatementBuilder.CloseEntries(open, Nov3.AddDays(30))) Assert.Equal(PostOutcome.Posted, journal.Post(t));
        foreach (var t in StatementBuilder.CloseEntries(open, Nov3.AddDays(31))) Assert.Equal(PostOutcome.AlreadyPosted, journal.Post(t));

        // A later plan change must not rewrite a closed month.
        var closed = StatementBuilder.Build("m-1", November, "Europe/Berlin", plan with { MonthlyFeeMinor = 1 }, journal.Transactions);
        Assert.True(closed.Closed);
        Assert.Equal(open with { Closed = true }, closed with { Usage = open.Usage });
        Assert.Empty(Ledgers.CheckInvariants(journal.Transactions));
    }

    [Fact]
    public void TheCsv_HasAHeaderAUsageRowPerLineAndTheTotals()
    {
        var (plan, journal) = Month();
        var csv = StatementBuilder.ToCsv(StatementBuilder.Build("m-1", November, "Europe/Berlin", plan, journal.Transactions));
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(MonthlyStatement.CsvHeader, rows[0]);
        Assert.Equal("m-1,2026-11,EUR,usage,phone,GB,2,120,64,0.64", rows[2]);
        Assert.Equal("m-1,2026-11,EUR,net,,,,,-4512,-45.12", rows[^1]);
        Assert.All(rows, r => Assert.Equal(9, r.Count(c => c == ',')));
    }
}
