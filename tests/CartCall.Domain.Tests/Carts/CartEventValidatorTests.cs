using CartCall.Domain.Carts;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Carts;

public class CartEventValidatorTests
{
    private static CartEvent Valid => Event("e1", CartEventType.ItemAdded, T0, Cart(("mug", 1, 9.99m, 4m)), "shopper-1");

    [Fact]
    public void Validate_WellFormedEvent_HasNoProblems()
    {
        Assert.Empty(CartEventValidator.Validate(Valid, T0));
    }

    [Fact]
    public void Validate_EmptyIds_ReportsEachField()
    {
        var problems = CartEventValidator.Validate(Valid with { EventId = "", SessionId = " " }, T0);
        Assert.Contains(problems, p => p.Contains("eventId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("sessionId", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_IdWithTableKeyCharacter_IsRefused()
    {
        var problems = CartEventValidator.Validate(Valid with { SessionId = "a/b" }, T0);
        Assert.Contains(problems, p => p.Contains("sessionId", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NegativeQuantityPriceAndCost_ReportsAllThree()
    {
        var cart = new CartSnapshot("EUR", [new LineItem("mug", null, -1, -2m, -3m)]);
        var problems = CartEventValidator.Validate(Valid with { Cart = cart }, T0);
        Assert.Contains(problems, p => p.Contains("quantity", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unitPrice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unitCost", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("")]
    [InlineData("E1R")]
    public void Validate_CurrencyNotThreeUpperCaseLetters_IsRefused(string currency)
    {
        var problems = CartEventValidator.Validate(Valid with { Cart = new CartSnapshot(currency, []) }, T0);
        Assert.Contains(problems, p => p.Contains("currency", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MixedCurrenciesWithinCart_IsRefused()
    {
        var cart = new CartSnapshot("EUR", [new LineItem("a", null, 1, 1m, null, "EUR"), new LineItem("b", null, 1, 1m, null, "USD")]);
        var problems = CartEventValidator.Validate(Valid with { Cart = cart }, T0);
        var problem = Assert.Single(problems);
        Assert.Contains("mixed currencies", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MoreThan500LineItems_IsRefused()
    {
        var lines = Enumerable.Range(0, CartEventValidator.MaxLineItems + 1).Select(i => new LineItem($"sku{i}", null, 1, 1m, null));
        var problems = CartEventValidator.Validate(Valid with { Cart = new CartSnapshot("EUR", [.. lines]) }, T0);
        Assert.Contains(problems, p => p.Contains("at most 500", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_Exactly500LineItems_IsAccepted()
    {
        var lines = Enumerable.Range(0, CartEventValidator.MaxLineItems).Select(i => new LineItem($"sku{i}", null, 1, 1m, null));
        Assert.Empty(CartEventValidator.Validate(Valid with { Cart = new CartSnapshot("EUR", [.. lines]) }, T0));
    }

    [Fact]
    public void Validate_MoreThanFiveMinutesAhead_IsRefusedSayingSo()
    {
        // An hour ahead used to pass (the bound was a day) and held the session's idle re-check back by that hour.
        var problems = CartEventValidator.Validate(Valid with { OccurredAt = T0.AddMinutes(5).AddSeconds(1) }, T0);
        var problem = Assert.Single(problems);
        Assert.Contains("more than 5 minutes ahead of the server's clock", problem, StringComparison.Ordinal);

        Assert.NotEmpty(CartEventValidator.Validate(Valid with { OccurredAt = T0.AddHours(1) }, T0));
    }

    [Fact]
    public void Validate_UpToFiveMinutesAhead_IsAcceptedAsClockDrift()
    {
        Assert.Empty(CartEventValidator.Validate(Valid with { OccurredAt = T0.AddMinutes(5) }, T0));
        Assert.Empty(CartEventValidator.Validate(Valid with { OccurredAt = T0.AddDays(-3) }, T0));
    }

    [Fact]
    public void Validate_UndefinedEventType_IsRefused()
    {
        var problems = CartEventValidator.Validate(Valid with { Type = (CartEventType)42 }, T0);
        Assert.Contains(problems, p => p.StartsWith("type", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsAllOfThem()
    {
        var cart = new CartSnapshot("usd", [new LineItem("", null, -1, 1m, null)]);
        var problems = CartEventValidator.Validate(Valid with { EventId = "", Cart = cart }, T0);
        Assert.True(problems.Count >= 4, string.Join(" | ", problems));
    }
}
