using System.Globalization;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Features.CartEvents;

/// <summary>
/// Checkouts as a Shopify store sends them to <c>checkouts/create</c> and <c>checkouts/update</c>, written for these
/// tests from the fields Shopify documents for a checkout: its <c>token</c>, <c>currency</c> (the shop's) and
/// <c>presentment_currency</c> (the shopper's), money as decimal strings and as price sets with <c>shop_money</c> and
/// <c>presentment_money</c>, and line items with <c>sku</c>, <c>variant_id</c>, <c>title</c>, <c>quantity</c> and
/// <c>price</c>. The store is a Canadian pottery (shop currency CAD) selling to a shopper in Germany who sees euros.
/// </summary>
internal static class ShopifyCheckoutFixtures
{
    /// <summary>CAD per EUR in these fixtures.</summary>
    public const decimal CadPerEur = 1.48m;

    public static JsonObject Money(decimal cad, decimal eur) => new()
    {
        ["shop_money"] = new JsonObject { ["amount"] = Amount(cad), ["currency_code"] = "CAD" },
        ["presentment_money"] = new JsonObject { ["amount"] = Amount(eur), ["currency_code"] = "EUR" },
    };

    public static string Amount(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>A product line: SKU and variant, priced in euros with both amounts in its price set.</summary>
    public static JsonObject Product(string sku, long variantId, string title, int quantity, decimal eur, bool withPriceSet = true)
    {
        var line = new JsonObject
        {
            ["key"] = $"{variantId}:{sku.ToLowerInvariant()}",
            ["sku"] = sku,
            ["variant_id"] = variantId,
            ["product_id"] = variantId / 10,
            ["title"] = title,
            ["variant_title"] = "Standard",
            ["vendor"] = "Harbour Ceramics",
            ["quantity"] = quantity,
            ["price"] = Amount(eur),
            ["requires_shipping"] = true,
            ["taxable"] = true,
        };
        if (withPriceSet)
        {
            line["price_set"] = Money(decimal.Round(eur * CadPerEur, 2), eur);
        }

        return line;
    }

    /// <summary>A custom line item, as a merchant adds one by hand or an app does: no SKU, no variant, no product.</summary>
    public static JsonObject Custom(string title, int quantity, decimal eur) => new()
    {
        ["key"] = null,
        ["sku"] = null,
        ["variant_id"] = null,
        ["product_id"] = null,
        ["title"] = title,
        ["quantity"] = quantity,
        ["price"] = Amount(eur),
        ["price_set"] = Money(decimal.Round(eur * CadPerEur, 2), eur),
        ["requires_shipping"] = false,
    };

    /// <summary>The shopper's checkout, in euros for them and in Canadian dollars for the shop.</summary>
    public static JsonObject MarketsCheckout(string token, DateTimeOffset updatedAt, params JsonObject[] lines)
    {
        var eur = lines.Sum(l => decimal.Parse((string)l["price"]!, CultureInfo.InvariantCulture) * (int)l["quantity"]!);
        return new JsonObject
        {
            ["id"] = 770012345678,
            ["token"] = token,
            ["cart_token"] = "ct-" + token,
            ["email"] = "lena@example.de",
            ["created_at"] = updatedAt.AddMinutes(-3).ToString("O"),
            ["updated_at"] = updatedAt.ToString("O"),
            ["completed_at"] = null,
            ["currency"] = "CAD",
            ["presentment_currency"] = "EUR",
            ["customer_locale"] = "de-DE",
            ["total_line_items_price"] = Amount(eur),
            ["total_line_items_price_set"] = Money(decimal.Round(eur * CadPerEur, 2), eur),
            ["subtotal_price"] = Amount(eur),
            ["total_price"] = Amount(eur),
            ["customer"] = new JsonObject { ["id"] = 6100220033, ["email"] = "lena@example.de" },
            ["shipping_address"] = null,
            ["abandoned_checkout_url"] = $"https://harbour-ceramics.example/checkouts/{token}/recover",
            ["line_items"] = new JsonArray([.. lines]),
        };
    }
}
