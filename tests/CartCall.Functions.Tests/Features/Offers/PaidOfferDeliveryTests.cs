using System.Net;
using System.Text.Json.Nodes;
using CartCall.Domain.Billing;
using CartCall.Functions.Features.Offers;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>
/// A paid merchant's offer carries its price from delivery on (issue 13: the widget shows price and terms before
/// accept): DeliverOffer copies the merchant's <c>shopperPrice</c> onto the stored offer, and the widget's catch-up
/// list shows it; a free merchant's offer has none.
/// </summary>
[Collection(WidgetAppCollection.Name)]
public sealed class PaidOfferDeliveryTests(WidgetAppFixture widget)
{
    [Fact]
    public async Task PaidMerchantsOffer_CarriesThePrice_StoredAndListedForTheWidget()
    {
        var (merchant, key) = await widget.CreateMerchantAsync(m =>
            m["shopperPrice"] = new { kind = "per_minute", currency = "USD", amountMinor = 150, capMinor = 1500, minimumSeconds = 10 });
        var offer = await widget.DeliverOfferAsync(merchant, "s-paid");

        var stored = await widget.App.Services.GetRequiredService<TableOfferStore>().GetAsync(offer.OfferId, CancellationToken.None);
        Assert.Equal(new ShopperPrice(ShopperPriceKind.PerMinute, "USD", 150, 1500, 10), stored!.Offer.Price);

        using var client = widget.WidgetClient(key);
        var response = await client.GetAsync($"/api/merchants/{merchant}/sessions/s-paid/offers");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var price = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["offers"]![0]!["price"]!;
        Assert.Equal("per_minute", price["kind"]!.GetValue<string>());
        Assert.Equal("USD", price["currency"]!.GetValue<string>());
        Assert.Equal(150, price["amountMinor"]!.GetValue<long>());
        Assert.Equal(1500, price["capMinor"]!.GetValue<long>());
        Assert.Equal(10, price["minimumSeconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task FreeMerchantsOffer_HasNoPrice()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        var offer = await widget.DeliverOfferAsync(merchant, "s-free");

        var stored = await widget.App.Services.GetRequiredService<TableOfferStore>().GetAsync(offer.OfferId, CancellationToken.None);
        Assert.Null(stored!.Offer.Price);
        using var client = widget.WidgetClient(key);
        var listed = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{merchant}/sessions/s-free/offers"))!["offers"]![0]!.AsObject();
        Assert.False(listed.ContainsKey("price"));
    }
}
