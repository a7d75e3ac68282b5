using System.Text.Json;
using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>Plans in Table storage: bad plans are refused with reasons and store nothing; changes apply from the next local day.</summary>
public sealed class TablePlanStoreTests(BillingInfrastructure infra) : IClassFixture<BillingInfrastructure>
{
    private static readonly DateTimeOffset At = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task APlanAsTheAdminApiWouldSendIt_RoundTripsThroughTheAppsJson()
    {
        const string json = """
            {"id":"std","currency":"EUR","monthlyFeeMinor":4900,"includedMinutes":100,"rounding":"per_started_minute",
             "rates":[{"mode":"phone","region":"GB","perCallMinor":20,"perMinuteMinor":12},{"perCallMinor":10,"perMinuteMinor":5}]}
            """;
        var plan = JsonSerializer.Deserialize<MerchantPlan>(json, AppJson.Options)!;
        var store = new TablePlanStore(infra.Storage, TimeProvider.System);
        var merchant = BillingInfrastructure.NewMerchant();

        var (_, problems) = await store.SetAsync(merchant, plan, "Europe/London", At, CancellationToken.None);

        Assert.Empty(problems);
        var stored = (await store.GetAsync(merchant, CancellationToken.None))!.PlanOn(new DateOnly(2026, 11, 3));
        Assert.Equal(Rounding.PerStartedMinute, stored.Rounding);
        Assert.Equal(new RateRule(CallMode.Phone, "GB", 20, 12), stored.Rates[0]);
        Assert.Equal("Europe/London", (await store.GetAsync(merchant, CancellationToken.None))!.TimeZoneId);
    }

    [Fact]
    public async Task UnknownCurrenciesNegativeOrAbsurdPricesAndPlansWithoutRates_AreRefused_AndNothingIsStored()
    {
        var store = new TablePlanStore(infra.Storage, TimeProvider.System);
        var merchant = BillingInfrastructure.NewMerchant();
        var bad = new MerchantPlan("bad", "EUX", -1, 10, Rounding.PerSecond, []);

        var (from, problems) = await store.SetAsync(merchant, bad, "Europe/Berlin", At, CancellationToken.None);
        var (_, absurd) = await store.SetAsync(merchant, BillingInfrastructure.Plan() with { MonthlyFeeMinor = 1_000_000_000_000 }, "Europe/Berlin", At, CancellationToken.None);
        var (_, zone) = await store.SetAsync(merchant, BillingInfrastructure.Plan(), "Mars/Olympus", At, CancellationToken.None);

        Assert.Null(from);
        Assert.Contains(problems, p => p.Contains("ISO 4217"));
        Assert.Contains(problems, p => p.Contains("monthlyFee must not be negative"));
        Assert.Contains(problems, p => p.Contains("without rates"));
        Assert.Contains(absurd, p => p.Contains("sane limit"));
        Assert.Contains(zone, p => p.Contains("time zone"));
        Assert.Null(await store.GetAsync(merchant, CancellationToken.None));
    }

    [Fact]
    public async Task ALaterChangeOnTheSameDay_ReplacesThePendingOne()
    {
        var store = new TablePlanStore(infra.Storage, TimeProvider.System);
        var merchant = BillingInfrastructure.NewMerchant();
        await store.SetAsync(merchant, BillingInfrastructure.Plan("basic"), "Europe/Berlin", At.AddDays(-10), CancellationToken.None);
        await store.SetAsync(merchant, BillingInfrastructure.Plan("pro"), "Europe/Berlin", At, CancellationToken.None);
        var (from, _) = await store.SetAsync(merchant, BillingInfrastructure.Plan("team"), "Europe/Berlin", At.AddHours(2), CancellationToken.None);

        var schedule = (await store.GetAsync(merchant, CancellationToken.None))!;
        Assert.Equal(new DateOnly(2026, 11, 4), from);
        Assert.Equal(["basic", "team"], schedule.Assignments.Select(a => a.Plan.Id));
        Assert.Equal("basic", schedule.PlanOn(new DateOnly(2026, 11, 3)).Id);
    }
}
