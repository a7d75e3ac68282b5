using System.Text.Json;
using System.Text.Json.Serialization;
using CartCall.Domain.Carts;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// The fields CartCall reads from Shopify's <c>checkouts/create</c> and <c>checkouts/update</c> payloads. Shopify
/// sends money as decimal strings; unknown fields are ignored.
/// </summary>
public sealed class ShopifyCheckout
{
    [JsonPropertyName("id")]
    public JsonElement Id { get; set; }

    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("cart_token")]
    public string? CartToken { get; set; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset? CreatedAt { get; set; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset? UpdatedAt { get; set; }

    [JsonPropertyName("completed_at")]
    public DateTimeOffset? CompletedAt { get; set; }

    [JsonPropertyName("currency")]
    public string? Currency { get; set; }

    [JsonPropertyName("presentment_currency")]
    public string? PresentmentCurrency { get; set; }

    [JsonPropertyName("customer")]
    public ShopifyCustomer? Customer { get; set; }

    [JsonPropertyName("shipping_address")]
    public JsonElement? ShippingAddress { get; set; }

    [JsonPropertyName("shipping_lines")]
    public JsonElement? ShippingLines { get; set; }

    [JsonPropertyName("abandoned_checkout_url")]
    public string? AbandonedCheckoutUrl { get; set; }

    [JsonPropertyName("line_items")]
    public List<ShopifyLineItem>? LineItems { get; set; }
}

public sealed class ShopifyCustomer
{
    [JsonPropertyName("id")]
    public JsonElement Id { get; set; }
}

public sealed class ShopifyLineItem
{
    [JsonPropertyName("sku")]
    public string? Sku { get; set; }

    [JsonPropertyName("variant_id")]
    public JsonElement VariantId { get; set; }

    [JsonPropertyName("title")]
    public string? Title { get; set; }

    [JsonPropertyName("quantity")]
    public int Quantity { get; set; }

    [JsonPropertyName("price")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal Price { get; set; }
}

/// <summary>Maps a Shopify checkout webhook onto CartCall's cart event.</summary>
public static class ShopifyCheckoutMapper
{
    public const string TopicCreate = "checkouts/create";
    public const string TopicUpdate = "checkouts/update";

    public static (CartEvent? Event, IReadOnlyList<string> Problems) ToDomain(
        ShopifyCheckout c, string topic, string deliveryId, DateTimeOffset? triggeredAt, string merchantCurrency, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(c);
        var problems = new List<string>();
        var sessionId = c.Token ?? c.CartToken ?? Scalar(c.Id);
        if (string.IsNullOrEmpty(sessionId))
        {
            problems.Add("The checkout has no token, cart_token or id to follow it by.");
        }

        var currency = (c.PresentmentCurrency ?? c.Currency ?? merchantCurrency).ToUpperInvariant();
        if (!string.Equals(currency, merchantCurrency, StringComparison.Ordinal))
        {
            problems.Add($"The checkout's currency {currency} differs from the merchant's currency {merchantCurrency}.");
        }

        var at = c.UpdatedAt ?? triggeredAt ?? c.CreatedAt;
        if (at is null)
        {
            problems.Add("The checkout has no updated_at and the delivery no X-Shopify-Triggered-At.");
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        // Shopify tells us what the checkout looks like, not what the shopper did: infer the step from it.
        var type = c.CompletedAt is not null ? CartEventType.OrderCompleted
            : topic == TopicUpdate && HasContent(c.ShippingAddress, c.ShippingLines) ? CartEventType.ShippingViewed
            : CartEventType.CheckoutStarted;
        var items = (c.LineItems ?? [])
            .Select(li => new LineItem(li.Sku is { Length: > 0 } sku ? sku : Scalar(li.VariantId) ?? "", li.Title, li.Quantity, li.Price, null))
            .ToList();
        var e = new CartEvent(deliveryId, sessionId!, c.Customer is null ? null : Scalar(c.Customer.Id), at!.Value, type, new CartSnapshot(currency, items), c.AbandonedCheckoutUrl);
        var domainProblems = CartEventValidator.Validate(e, now);
        return domainProblems.Count > 0 ? (null, domainProblems) : (e, []);
    }

    private static bool HasContent(JsonElement? address, JsonElement? lines) =>
        address is { ValueKind: JsonValueKind.Object } || lines is { ValueKind: JsonValueKind.Array } l && l.GetArrayLength() > 0;

    private static string? Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        _ => null,
    };
}
