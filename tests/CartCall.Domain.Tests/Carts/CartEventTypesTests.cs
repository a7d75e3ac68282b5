using System.Text.Json;
using CartCall.Domain.Carts;

namespace CartCall.Domain.Tests.Carts;

public class CartEventTypesTests
{
    public static TheoryData<CartEventType> AllTypes() => [.. Enum.GetValues<CartEventType>()];

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void TryParse_WireNameFromToWire_ReturnsSameType(CartEventType type)
    {
        Assert.True(CartEventTypes.TryParse(CartEventTypes.ToWire(type), out var parsed));
        Assert.Equal(type, parsed);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void ToWire_MatchesJsonSerialisedName(CartEventType type)
    {
        Assert.Equal($"\"{CartEventTypes.ToWire(type)}\"", JsonSerializer.Serialize(type));
        Assert.Equal(type, JsonSerializer.Deserialize<CartEventType>($"\"{CartEventTypes.ToWire(type)}\""));
    }

    [Theory]
    [InlineData("checkout_started", CartEventType.CheckoutStarted)]
    [InlineData("PAYMENT_FAILED", CartEventType.PaymentFailed)]
    public void TryParse_KnownWireName_IgnoresCase(string wire, CartEventType expected)
    {
        Assert.True(CartEventTypes.TryParse(wire, out var parsed));
        Assert.Equal(expected, parsed);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("CheckoutStarted")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("checkout started")]
    public void TryParse_NumberMemberNameOrGarbage_IsRejected(string? wire)
    {
        Assert.False(CartEventTypes.TryParse(wire, out _));
    }

    [Fact]
    public void ToWire_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CartEventTypes.ToWire((CartEventType)99));
    }
}
