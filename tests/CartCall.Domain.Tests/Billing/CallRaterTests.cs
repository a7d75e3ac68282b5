using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using static CartCall.Domain.Tests.Billing.MerchantPlanTests;

namespace CartCall.Domain.Tests.Billing;

public class CallRaterTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

    internal static CallUsage Call(CallMode mode = CallMode.Phone, string? region = "GB", int seconds = 90, bool connected = true, string id = "call-1") =>
        new(id, "m-1", mode, region, Start, connected && seconds > 0, connected ? seconds : 0);

    [Fact]
    public void PerSecond_ChargesProRata_RoundedHalfUpToTheMinorUnit()
    {
        // 12/min for 90 s = 18; 12/min for 95 s = 19.
        Assert.Equal(20 + 18, CallRater.Rate(Plan(), Call(seconds: 90)).TotalMinor);
        Assert.Equal(20 + 19, CallRater.Rate(Plan(), Call(seconds: 95)).TotalMinor);
        Assert.Equal(95, CallRater.Rate(Plan(), Call(seconds: 95)).BillableSeconds);
    }

    [Fact]
    public void PerStartedMinute_CountsEveryStartedMinute()
    {
        var rating = CallRater.Rate(Plan(rounding: Rounding.PerStartedMinute), Call(seconds: 61));
        Assert.Equal(120, rating.BillableSeconds);
        Assert.Equal(20 + 24, rating.TotalMinor);
        Assert.Equal(60, CallRater.Rate(Plan(rounding: Rounding.PerStartedMinute), Call(seconds: 60)).BillableSeconds);
    }

    [Fact]
    public void RatesDifferByModeAndDestinationRegion()
    {
        Assert.Equal(10 + 5, CallRater.Rate(Plan(), Call(CallMode.Browser, null, 60)).TotalMinor);
        Assert.Equal(20 + 12, CallRater.Rate(Plan(), Call(CallMode.Phone, "GB", 60)).TotalMinor);
        Assert.Equal(20 + 30, CallRater.Rate(Plan(), Call(CallMode.Phone, "US", 60)).TotalMinor);
    }

    [Fact]
    public void ACallThatNeverConnected_CostsNothing()
    {
        var rating = CallRater.Rate(Plan(), Call(connected: false));
        Assert.Equal(0, rating.TotalMinor);
        Assert.Equal(0, rating.BillableSeconds);
    }

    [Fact]
    public void IncludedMinutes_AreSpentInStartOrder_WhateverTheArrivalOrder()
    {
        var calls = new[]
        {
            ("b", Start.AddMinutes(5), 120, 12L, 24L),
            ("a", Start, 90, 12L, 18L),
            ("c", Start.AddMinutes(9), 60, 12L, 12L),
        };
        var credits = IncludedMinutes.Allocate(3, calls);
        Assert.Equal(18, credits["a"]);
        // 90 s left for b: 12/min × 90 s = 18.
        Assert.Equal(18, credits["b"]);
        Assert.False(credits.ContainsKey("c"));
        Assert.Equal(credits, IncludedMinutes.Allocate(3, calls.Reverse()));
    }

    [Fact]
    public void TelephonyTariff_CostsPerStartedMinuteOfTalk()
    {
        var tariff = new TelephonyTariff("USD", [new RateRule(null, null, 0, 0), new RateRule(CallMode.Phone, null, 0, 2)]);
        Assert.Empty(tariff.Validate());
        Assert.Equal(new Money(4, Currency.Usd), tariff.CostOf(Call(seconds: 61)));
        Assert.Equal(new Money(0, Currency.Usd), tariff.CostOf(Call(CallMode.Browser, null, 600)));
    }
}
