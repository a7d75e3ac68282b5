using CartCall.Domain.Carts;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Carts;

public class CartSnapshotTests
{
    [Fact]
    public void Total_SumsPriceTimesQuantity()
    {
        var cart = Cart(("a", 2, 10.25m, null), ("b", 3, 1.10m, 0.5m));
        Assert.Equal(23.80m, cart.Total);
        Assert.Equal(5, cart.ItemCount);
        Assert.Equal(2, cart.DistinctItems);
    }

    [Fact]
    public void Margin_UsesCostWhenKnownAndDefaultRateOtherwise()
    {
        // a: (10 - 6) × 2 = 8; b: 20 × 0.25 × 1 = 5
        var cart = Cart(("a", 2, 10m, 6m), ("b", 1, 20m, null));
        Assert.Equal(13m, cart.Margin(0.25m));
    }

    [Fact]
    public void Equals_SameLinesInDifferentListInstances_AreEqual()
    {
        var a = Cart(("a", 1, 5m, null));
        var b = Cart(("a", 1, 5m, null));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Cart(("a", 2, 5m, null)));
    }
}
