using CartCall.Domain.Billing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCall.Domain.Tests.Billing;

public class ShopperPriceTests
{
    private static readonly ShopperPrice Flat = new(ShopperPriceKind.Flat, "EUR", 500);
    private static readonly ShopperPrice PerMinute = new(ShopperPriceKind.PerMinute, "EUR", 150, 1500);

    [Fact]
    public void TheHold_IsTheFlatPriceOrTheCap()
    {
        Assert.Equal(new Money(500, Currency.Eur), Flat.Hold);
        Assert.Equal(new Money(1500, Currency.Eur), PerMinute.Hold);
    }

    [Fact]
    public void ACallThatNeverConnected_CancelsTheHold() =>
        Assert.Equal(ShopperCancelReason.NeverConnected, Flat.Settle(Flat.Hold, false, 0).Reason);

    [Fact]
    public void ACallShorterThanTheMinimum_CancelsTheHold()
    {
        Assert.Equal(ShopperCancelReason.ShorterThanMinimum, Flat.Settle(Flat.Hold, true, 9).Reason);
        Assert.True(Flat.Settle(Flat.Hold, true, 10).IsCapture);
        Assert.Equal(ShopperCancelReason.ShorterThanMinimum, (Flat with { MinimumSeconds = 30 }).Settle(Flat.Hold, true, 29).Reason);
    }

    [Fact]
    public void PerMinute_ChargesStartedMinutes_UpToTheCap()
    {
        Assert.Equal(300, PerMinute.Settle(PerMinute.Hold, true, 61).Amount!.Value.Minor);
        Assert.Equal(1500, PerMinute.Settle(PerMinute.Hold, true, 3600).Amount!.Value.Minor);
    }

    [Property(MaxTest = 500)]
    public Property TheCapture_IsNeverAboveTheHold() =>
        Prop.ForAll(
            (from rate in Gen.Choose(1, 5000) from cap in Gen.Choose(1, 20000) from held in Gen.Choose(0, 20000) from seconds in Gen.Choose(0, 7200)
             select (rate, cap, held, seconds)).ToArbitrary(),
            c =>
            {
                var (rate, cap, held, seconds) = c;
                var price = new ShopperPrice(ShopperPriceKind.PerMinute, "EUR", rate, Math.Max(rate, cap));
                var settlement = price.Settle(new Money(held, Currency.Eur), true, seconds);
                return !settlement.IsCapture || (settlement.Amount!.Value.Minor <= held && settlement.Amount.Value.Minor > 0);
            });

    [Fact]
    public void BadPrices_AreRefusedWithReasons()
    {
        Assert.Contains(new ShopperPrice(ShopperPriceKind.Flat, "EUR", -1).Validate(), p => p.Contains("must be positive"));
        Assert.Contains(new ShopperPrice(ShopperPriceKind.Flat, "EUR", 10_000_000).Validate(), p => p.Contains("beyond the limit"));
        Assert.Contains(new ShopperPrice(ShopperPriceKind.PerMinute, "EUR", 100).Validate(), p => p.Contains("cap is required"));
        Assert.Contains(new ShopperPrice(ShopperPriceKind.PerMinute, "EUR", 100, 50).Validate(), p => p.Contains("at least one minute"));
        Assert.Contains(new ShopperPrice(ShopperPriceKind.Flat, "QQQ", 100).Validate(), p => p.Contains("ISO 4217"));
        Assert.Empty(PerMinute.Validate());
    }

    [Fact]
    public void ProviderFee_IsProportionalPlusFixed_NeverAboveTheCapture()
    {
        Assert.Equal(59, ProviderFeeSchedule.StripeStandard.FeeOn(new Money(1000, Currency.Usd)).Minor);
        Assert.Equal(20, ProviderFeeSchedule.StripeStandard.FeeOn(new Money(20, Currency.Usd)).Minor);
    }

    [Fact]
    public void RefundsAboveWhatWasCaptured_AreRefused()
    {
        var captured = new Money(500, Currency.Eur);
        Assert.Empty(Refunds.Validate(captured, new Money(200, Currency.Eur), new Money(300, Currency.Eur)));
        Assert.Contains(Refunds.Validate(captured, new Money(200, Currency.Eur), new Money(301, Currency.Eur)), p => p.Contains("more than the 3.00 EUR"));
        Assert.Contains(Refunds.Validate(captured, Money.Zero(Currency.Eur), new Money(0, Currency.Eur)), p => p.Contains("positive"));
        Assert.Contains(Refunds.Validate(captured, Money.Zero(Currency.Eur), new Money(10, Currency.Usd)), p => p.Contains("differs"));
    }
}
