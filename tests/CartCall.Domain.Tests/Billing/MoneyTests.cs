using CartCall.Domain.Billing;

namespace CartCall.Domain.Tests.Billing;

public class MoneyTests
{
    [Theory]
    [InlineData("USD", 2)]
    [InlineData("EUR", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KRW", 0)]
    [InlineData("KWD", 3)]
    [InlineData("BHD", 3)]
    [InlineData("CLF", 4)]
    public void Currency_KnowsIso4217MinorUnits(string code, int exponent)
    {
        Assert.True(Currency.TryOf(code, out var currency));
        Assert.Equal(exponent, currency.Exponent);
        Assert.True(Currency.HasExponent(code, exponent));
        Assert.False(Currency.HasExponent(code, exponent + 1));
    }

    [Theory]
    [InlineData("XYZ", "not an ISO 4217")]
    [InlineData("usd", "upper case")]
    [InlineData("", "required")]
    [InlineData(null, "required")]
    [InlineData("XAU", "not an ISO 4217")]
    [InlineData("EURO", "not an ISO 4217")]
    public void Currency_Parse_ExplainsWhatIsWrong(string? code, string expected)
    {
        var (_, problem) = Currency.Parse(code);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
    }

    [Fact]
    public void FromMajor_IsExactInMinorUnits_AndRefusesExtraDecimals()
    {
        Assert.Equal(1234, Money.FromMajor(12.34m, Currency.Eur).Minor);
        Assert.Equal(1234, Money.FromMajor(1234m, Currency.Jpy).Minor);
        Assert.Equal(12345, Money.FromMajor(12.345m, Currency.Of("KWD")).Minor);
        Assert.Throws<ArgumentException>(() => Money.FromMajor(12.345m, Currency.Eur));
        Assert.Throws<ArgumentException>(() => Money.FromMajor(1.5m, Currency.Jpy));
    }

    [Fact]
    public void Arithmetic_NeverMixesCurrencies_AndOverflowThrows()
    {
        var eur = new Money(100, Currency.Eur);
        var usd = new Money(100, Currency.Usd);
        Assert.Equal(new Money(200, Currency.Eur), eur + eur);
        Assert.Throws<InvalidOperationException>(() => eur + usd);
        Assert.Throws<InvalidOperationException>(() => eur < usd);
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue, Currency.Eur) + eur);
    }

    [Fact]
    public void ToString_UsesTheCurrencysDecimals()
    {
        Assert.Equal("12.34 EUR", new Money(1234, Currency.Eur).ToString());
        Assert.Equal("1234 JPY", new Money(1234, Currency.Jpy).ToString());
        Assert.Equal("1.234 KWD", new Money(1234, Currency.Of("KWD")).ToString());
    }
}
