using System.Net;
using System.Text.Json.Nodes;
using CartCall.Domain.Carts;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.DependencyInjection;
using static CartCall.Functions.Tests.Features.CartEvents.ShopifyCheckoutFixtures;

namespace CartCall.Functions.Tests.Features.CartEvents;

/// <summary>
/// Checkouts real stores send, which CartCall used to refuse (and Shopify, after repeated refusals, deletes the
/// subscription): Shopify Markets checkouts in the shopper's currency, custom line items, long SKUs and titles, big
/// carts. And the one thing still refused: a time too far ahead of the server's clock.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ShopifyCheckoutIntakeTests(AppFixture app)
{
    private Task<string> CanadianMerchantAsync() => app.CreateKeyedMerchantAsync(d => d["currency"] = "CAD");

    private async Task<HttpResponseMessage> SendAsync(string merchant, JsonObject checkout, string topic = "checkouts/update")
    {
        using var client = app.CreateClient();
        return await client.SendAsync(ReceiveShopifyWebhookTests.Delivery(merchant, checkout.ToJsonString(), topic, Guid.NewGuid().ToString()));
    }

    private async Task<CartSession?> SessionAsync(string merchant, string token) =>
        (await app.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, token, CancellationToken.None))?.Session;

    [Fact]
    public async Task AMarketsCheckout_IsScoredInTheShopsMoney_AndKeepsTheTotalTheShopperSaw()
    {
        var merchant = await CanadianMerchantAsync();
        var checkout = MarketsCheckout("tok-markets", DateTimeOffset.UtcNow,
            Product("HC-MUG-SPK", 44010, "Speckled stoneware mug", 2, 24.00m),
            Product("HC-VASE-TL", 44020, "Tall celadon vase", 1, 89.00m));

        var response = await SendAsync(merchant, checkout);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var cart = (await SessionAsync(merchant, "tok-markets"))!.LatestCart!;
        Assert.Equal("CAD", cart.Currency);
        Assert.Equal((2 * decimal.Round(24m * CadPerEur, 2)) + decimal.Round(89m * CadPerEur, 2), cart.Total);
        Assert.Equal(new CartPresentment("EUR", 137.00m), cart.Presentment);
    }

    [Fact]
    public async Task AMarketsCheckout_WithoutLinePriceSets_IsConvertedAtTheCheckoutsOwnRate()
    {
        var merchant = await CanadianMerchantAsync();
        var checkout = MarketsCheckout("tok-rate", DateTimeOffset.UtcNow, Product("HC-BOWL", 44030, "Ramen bowl", 3, 20.00m, withPriceSet: false));

        var response = await SendAsync(merchant, checkout);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(3 * 20.00m * CadPerEur, (await SessionAsync(merchant, "tok-rate"))!.LatestCart!.Total, 2);
    }

    [Fact]
    public async Task AMarketsCheckout_WithNoShopMoneyAtAll_IsTaken_WithoutACart()
    {
        var merchant = await CanadianMerchantAsync();
        var checkout = MarketsCheckout("tok-nomoney", DateTimeOffset.UtcNow, Product("HC-BOWL", 44030, "Ramen bowl", 1, 20.00m, withPriceSet: false));
        checkout.Remove("total_line_items_price_set");

        var response = await SendAsync(merchant, checkout);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var session = await SessionAsync(merchant, "tok-nomoney");
        Assert.Equal(1, session!.EventCount);
        Assert.Null(session.LatestCart);
    }

    [Fact]
    public async Task TheShopper_IsOfferedTheCartInTheCurrencyTheyWereShown()
    {
        var merchant = await CanadianMerchantAsync();
        await SendAsync(merchant, MarketsCheckout("tok-shown", DateTimeOffset.UtcNow, Product("HC-MUG-SPK", 44010, "Speckled stoneware mug", 4, 25.00m)));
        var shopTotal = (await SessionAsync(merchant, "tok-shown"))!.LatestCart!.Total;

        await app.DeliverOfferAsync(merchant, "tok-shown", cartValue: shopTotal, currency: "CAD");
        using var widget = app.CreateClient();
        widget.DefaultRequestHeaders.Add(PublishableKeys.Header, AppFixture.PublishableKey);
        var offers = JsonNode.Parse(await widget.GetStringAsync($"/api/merchants/{merchant}/sessions/tok-shown/offers"))!["offers"]!.AsArray();

        var offer = Assert.Single(offers)!;
        Assert.Equal("EUR", offer["currency"]!.GetValue<string>());
        Assert.Equal(100.00m, offer["cartValue"]!.GetValue<decimal>());
        Assert.Contains("100.00 EUR", offer["text"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACustomLineItem_IsKeptUnderTheSameSyntheticKeyOnEveryUpdate()
    {
        var merchant = await CanadianMerchantAsync();
        var now = DateTimeOffset.UtcNow;

        var created = await SendAsync(merchant, MarketsCheckout("tok-custom", now.AddMinutes(-1),
            Product("HC-MUG-SPK", 44010, "Speckled stoneware mug", 1, 24.00m), Custom("Hand-written gift note", 1, 3.00m)), "checkouts/create");
        var firstKey = (await SessionAsync(merchant, "tok-custom"))!.LatestCart!.Items.Single(i => i.Title == "Hand-written gift note").Sku;
        var updated = await SendAsync(merchant, MarketsCheckout("tok-custom", now,
            Product("HC-MUG-SPK", 44010, "Speckled stoneware mug", 3, 24.00m), Custom("Hand-written gift note", 1, 3.00m)));

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, updated.StatusCode);
        var cart = (await SessionAsync(merchant, "tok-custom"))!.LatestCart!;
        Assert.StartsWith("custom:", firstKey, StringComparison.Ordinal);
        Assert.Equal(firstKey, cart.Items.Single(i => i.Title == "Hand-written gift note").Sku);
        Assert.Equal(4, cart.ItemCount);
    }

    [Fact]
    public async Task ABigCart_WithLongSkusAndTitles_IsTaken_AndStoredBounded()
    {
        var merchant = await CanadianMerchantAsync();
        var lines = Enumerable.Range(0, 650)
            .Select(i => i % 50 == 0
                ? Custom($"Engraving request #{i}: " + new string('ä', 600), 1, 5.00m)
                : Product($"HC-{i:D4}-" + new string('Z', 300), 50_000 + i, $"Glaze sample {i} — " + new string('✓', 400), 1 + (i % 4), 2.00m + (i % 9)))
            .ToArray();
        var checkout = MarketsCheckout("tok-big", DateTimeOffset.UtcNow, lines);
        var expectedUnits = lines.Sum(l => (int)l["quantity"]!);

        var response = await SendAsync(merchant, checkout);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var cart = (await SessionAsync(merchant, "tok-big"))!.LatestCart!;
        Assert.True(cart.Items.Count <= CartLines.MaxStoredLines);
        Assert.Equal(expectedUnits, cart.ItemCount);
        Assert.Equal(650, cart.DistinctItems);
        Assert.All(cart.Items, i => Assert.True(i.Sku.Length <= CartLines.MaxKeyLength && i.Title!.Length <= CartLines.MaxShownTitleLength));
    }

    [Fact]
    public async Task ACheckoutStampedMoreThanFiveMinutesAhead_IsRefusedSayingSo_AndStoresNothing()
    {
        var merchant = await CanadianMerchantAsync();

        var ahead = await SendAsync(merchant, MarketsCheckout("tok-ahead", DateTimeOffset.UtcNow.AddMinutes(10), Product("HC-BOWL", 44030, "Ramen bowl", 1, 20m)));
        var drift = await SendAsync(merchant, MarketsCheckout("tok-drift", DateTimeOffset.UtcNow.AddMinutes(4), Product("HC-BOWL", 44030, "Ramen bowl", 1, 20m)));

        Assert.Equal(HttpStatusCode.BadRequest, ahead.StatusCode);
        Assert.Contains("more than 5 minutes ahead", await ahead.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await SessionAsync(merchant, "tok-ahead"));
        Assert.Equal(HttpStatusCode.Accepted, drift.StatusCode);
    }
}
