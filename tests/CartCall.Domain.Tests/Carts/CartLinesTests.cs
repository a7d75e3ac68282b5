using System.IO.Compression;
using System.Text.Json;
using CartCall.Domain.Carts;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Carts;

/// <summary>What a session keeps of a cart: bounded whatever was sent, and worth the same to the scorer.</summary>
public class CartLinesTests
{
    private static CartSnapshot Huge(int lines, int skuLength, int titleLength)
    {
        var random = new Random(7);
        string Text(int length) => new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        return new CartSnapshot("EUR",
        [
            .. Enumerable.Range(0, lines).Select(i => new LineItem(
                $"{i}-" + Text(skuLength), Text(titleLength), 1 + (i % 7), 1m + (i % 13) * 3.5m, i % 3 == 0 ? null : 0.5m + (i % 5))),
        ]);
    }

    [Fact]
    public void AnOrdinaryCart_IsKeptAsItIs()
    {
        var cart = Cart(("mug", 2, 9.99m, 4m), ("pot", 1, 30m, null));

        Assert.Same(cart, CartLines.Bounded(cart));
    }

    [Fact]
    public void ABigCart_WithLongKeysAndTitles_IsFolded_KeepingWhatTheScorerReads()
    {
        var cart = Huge(lines: 600, skuLength: 300, titleLength: 3000);

        var kept = CartLines.Bounded(cart);

        Assert.True(kept.Items.Count <= CartLines.MaxStoredLines);
        Assert.Equal(cart.Total, kept.Total, 10);
        Assert.Equal(cart.ItemCount, kept.ItemCount);
        Assert.Equal(cart.DistinctItems, kept.DistinctItems);
        Assert.Equal(cart.Margin(0.3m), kept.Margin(0.3m), 10);
        Assert.All(kept.Items, i => Assert.True(i.Sku.Length <= CartLines.MaxKeyLength));
        Assert.All(kept.Items, i => Assert.True(i.Title!.Length <= CartLines.MaxShownTitleLength));
        // The lines kept one by one are the ones worth most.
        var cheapestKept = kept.Items.Where(i => !i.Sku.StartsWith(CartLines.FoldedKey, StringComparison.Ordinal)).Min(i => i.LineTotal);
        Assert.True(cart.Items.Count(i => i.LineTotal > cheapestKept) < CartLines.MaxStoredLines);
    }

    [Fact]
    public void ASessionWithTheBiggestCartAndAFullLog_StaysWithinOneTableProperty()
    {
        // The session is stored as one Brotli-compressed property of at most 64 KB (TableSessionStore).
        var session = CartSession.Start("merchant-1", Session);
        for (var i = 0; i < CartSession.MaxLoggedEvents + 20; i++)
        {
            // Ids as long as allowed, and as random as they can be (so they do not compress).
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA512.HashData(BitConverter.GetBytes(i)));
            session.Apply(Event(hash[..CartEventValidator.MaxIdLength], CartEventType.ItemAdded, T0.AddSeconds(i), i == 0 ? Huge(500, 128, 2048) : null));
        }

        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(brotli, session);
        }

        Assert.True(buffer.Length < 64 * 1024, $"{buffer.Length} bytes");
    }

    [Fact]
    public void ASyntheticKey_IsStableForTheSameLine_AndDiffersForAnother()
    {
        Assert.Equal(CartLines.SyntheticKey("Gift wrapping", 4.5m), CartLines.SyntheticKey(" Gift wrapping ", 4.50m));
        Assert.NotEqual(CartLines.SyntheticKey("Gift wrapping", 4.5m), CartLines.SyntheticKey("Gift wrapping", 5m));
        Assert.NotEqual(CartLines.SyntheticKey("Gift wrapping", 4.5m), CartLines.SyntheticKey("Engraving", 4.5m));
        Assert.StartsWith("custom:", CartLines.SyntheticKey(null, 0m), StringComparison.Ordinal);
    }

    [Fact]
    public void ALongKey_IsCutButStaysUnique()
    {
        var a = new string('x', 200) + "A";
        var b = new string('x', 200) + "B";

        Assert.Equal(CartLines.MaxKeyLength, CartLines.StoredKey(a).Length);
        Assert.NotEqual(CartLines.StoredKey(a), CartLines.StoredKey(b));
        Assert.Equal("short", CartLines.StoredKey("short"));
    }

    [Fact]
    public void ATitle_IsCutForDisplay_WithoutBreakingACharacter()
    {
        var title = new string('a', CartLines.MaxShownTitleLength - 2) + "😀😀😀";

        var shown = CartLines.ShownTitle(title)!;

        Assert.True(shown.Length <= CartLines.MaxShownTitleLength);
        Assert.EndsWith("…", shown, StringComparison.Ordinal);
        Assert.False(char.IsHighSurrogate(shown[^2]));
        Assert.Equal("Tea", CartLines.ShownTitle(" Tea\u0007 "));
    }

    [Fact]
    public void TheSession_KeepsTheBoundedCart()
    {
        var session = SessionOf([Event("e1", CartEventType.ItemAdded, T0, Huge(120, 10, 10))]);

        Assert.True(session.LatestCart!.Items.Count <= CartLines.MaxStoredLines);
        Assert.Equal(120, session.Features(T0, 0.3m).DistinctItems);
    }
}
