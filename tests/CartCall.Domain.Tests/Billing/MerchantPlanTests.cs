using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Tests.Billing;

public class MerchantPlanTests
{
    internal static MerchantPlan Plan(string currency = "EUR", Rounding rounding = Rounding.PerSecond, long fee = 4900, int included = 100, params RateRule[] rates) =>
        new("standard", currency, fee, included, rounding, rates.Length > 0 ? rates :
        [
            new RateRule(CallMode.Browser, null, 10, 5),
            new RateRule(CallMode.Phone, null, 20, 12),
            new RateRule(CallMode.Phone, "US", 20, 30),
        ]);

    [Fact]
    public void AWellFormedPlan_HasNoProblems() => Assert.Empty(Plan().Validate());

    [Fact]
    public void UnknownCurrency_IsRefused() =>
        Assert.Contains(Plan(currency: "ABC").Validate(), p => p.Contains("ISO 4217"));

    [Fact]
    public void StatedMinorUnits_MustAgreeWithIso4217() =>
        Assert.Contains((Plan(currency: "JPY") with { MinorUnits = 2 }).Validate(), p => p.Contains("JPY has 0 minor unit digits"));

    [Fact]
    public void NegativeAndAbsurdPrices_AreRefused()
    {
        var problems = Plan(fee: -1, rates:
        [
            new RateRule(null, null, -5, 10),
            new RateRule(CallMode.Phone, null, 0, 1_000_000_000),
        ]).Validate();
        Assert.Contains(problems, p => p.StartsWith("monthlyFee must not be negative"));
        Assert.Contains(problems, p => p.StartsWith("rates[0].perCall must not be negative"));
        Assert.Contains(problems, p => p.StartsWith("rates[1].perMinute") && p.Contains("sane limit"));
    }

    [Fact]
    public void APlanWithoutRates_IsRefused() =>
        Assert.Contains((Plan() with { Rates = [] }).Validate(), p => p.Contains("at least one rate"));

    [Fact]
    public void EveryModeNeedsARateForAnyRegion() =>
        Assert.Contains(Plan(rates: [new RateRule(CallMode.Phone, "GB", 0, 10), new RateRule(CallMode.Browser, null, 0, 1)]).Validate(),
            p => p.Contains("no rate for phone calls to any region"));

    [Fact]
    public void RegionRules_MustBeKnownRegionsOfPhoneCalls()
    {
        var problems = Plan(rates:
        [
            new RateRule(null, null, 0, 1),
            new RateRule(CallMode.Phone, "ZZ", 0, 1),
            new RateRule(CallMode.Browser, "GB", 0, 1),
            new RateRule(null, null, 0, 2),
        ]).Validate();
        Assert.Contains(problems, p => p.Contains("'ZZ' is not a region"));
        Assert.Contains(problems, p => p.Contains("only phone calls have a destination region"));
        Assert.Contains(problems, p => p.Contains("repeats the rate"));
    }

    [Fact]
    public void RateFor_PicksTheMostSpecificRule()
    {
        var plan = Plan(rates:
        [
            new RateRule(null, null, 1, 1),
            new RateRule(CallMode.Phone, null, 2, 2),
            new RateRule(CallMode.Phone, "GB", 3, 3),
        ]);
        Assert.Equal(3, plan.RateFor(CallMode.Phone, "GB").PerCallMinor);
        Assert.Equal(2, plan.RateFor(CallMode.Phone, "FR").PerCallMinor);
        Assert.Equal(2, plan.RateFor(CallMode.Phone, null).PerCallMinor);
        // A browser call has no destination: the region a caller passes is ignored.
        Assert.Equal(1, plan.RateFor(CallMode.Browser, "GB").PerCallMinor);
    }
}
