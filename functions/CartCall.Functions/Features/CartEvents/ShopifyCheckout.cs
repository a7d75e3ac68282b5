using System.Text.Json;
using System.Text.Json.Serialization;
using CartCall.Domain.Carts;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// The fields CartCall reads from Shopify's <c>checkouts/create</c> and <c>checkouts/update</c> payloads. Shopify
/// sends money as decimal strings; unknown fields are ignored. With Shopify Markets a checkout has two currencies:
/// <c>currency</c> (the shop's) and <c>presentment_currency</c> (the shopper's), and its money comes as price sets
/// holding both amounts (<c>shop_money</c>, <c>presentment_money</c>).
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

    /// <summary>The shop's currency: what CartCall scores in.</summary>
    [JsonPropertyName("currency")]
    public string? Currency { get; set; }

    /// <summary>The currency the shopper sees prices in.</summary>
    [JsonPropertyName("presentment_currency")]
    public string? PresentmentCurrency { get; set; }

    [JsonPropertyName("total_line_items_price_set")]
    public ShopifyMoneyBag? TotalLineItemsPriceSet { get; set; }

    [JsonPropertyName("subtotal_price_set")]
    public ShopifyMoneyBag? SubtotalPriceSet { get; set; }

    [JsonPropertyName("total_price_set")]
    public ShopifyMoneyBag? TotalPriceSet { get; set; }

    [JsonPropertyName("customer")]
    public ShopifyCustomer? Customer { get; set; }

    [JsonPropertyName("shipping_address")]
    public JsonElement? ShippingAddress { get; set; }

    [JsonPropertyName("shipping_lines")]
    public JsonElement? ShippingLines { get; set; }

    [JsonPropertyName("abandoned_checkout_url")]
    public string? AbandonedCheckoutUrl { get; set; }

    [JsonPropertyName("line_items")]
    public List<ShopifyLineItem?>? LineItems { get; set; }
}

public sealed class ShopifyCustomer
{
    [JsonPropertyName("id")]
    public JsonElement Id { get; set; }
}

/// <summary>An amount in both of a checkout's currencies.</summary>
public sealed class ShopifyMoneyBag
{
    [JsonPropertyName("shop_money")]
    public ShopifyMoney? ShopMoney { get; set; }

    [JsonPropertyName("presentment_money")]
    public ShopifyMoney? PresentmentMoney { get; set; }
}

public sealed class ShopifyMoney
{
    [JsonPropertyName("amount")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? Amount { get; set; }

    [JsonPropertyName("currency_code")]
    public string? CurrencyCode { get; set; }
}

public sealed class ShopifyLineItem
{
    [JsonPropertyName("key")]
    public string? Key { get; set; }

    [JsonPropertyName("sku")]
    public string? Sku { get; set; }

    [JsonPropertyName("variant_id")]
    public JsonElement VariantId { get; set; }

    [JsonPropertyName("title")]
    public string? Title { get; set; }

    [JsonPropertyName("quantity")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public long Quantity { get; set; }

    /// <summary>The unit price in the presentment currency (the shop's, when the checkout has one currency).</summary>
    [JsonPropertyName("price")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal Price { get; set; }

    [JsonPropertyName("price_set")]
    public ShopifyMoneyBag? PriceSet { get; set; }
}

/// <summary>
/// Maps a Shopify checkout webhook onto CartCall's cart event. Shopify retries a refused webhook and, after repeated
/// failures, deletes the subscription, so a checkout Shopify accepted is taken whatever its shape: a multi-currency
/// checkout is scored in the shop's money; a custom line (no SKU, no variant) gets a stable synthetic key; long SKUs
/// and titles and big carts are bounded when stored (<see cref="CartLines"/>), never refused. Only what cannot be a
/// checkout of this merchant is refused: no id to follow it by, no time, another shop currency, or a time too far
/// ahead of the server's clock (Shopify's own times are used: <c>updated_at</c>, else the delivery's trigger time).
/// </summary>
public static class ShopifyCheckoutMapper
{
    public const string TopicCreate = "checkouts/create";
    public const string TopicUpdate = "checkouts/update";

    /// <summary>The largest checkout body taken: a 500-line checkout with its tax lines and properties fits.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public static (CartEvent? Event, IReadOnlyList<string> Problems) ToDomain(
        ShopifyCheckout c, string topic, string deliveryId, DateTimeOffset? triggeredAt, string merchantCurrency, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(c);
        var problems = new List<string>();
        var sessionId = FirstNonEmpty(c.Token, c.CartToken, Scalar(c.Id));
        if (sessionId is null)
        {
            problems.Add("The checkout has no token, cart_token or id to follow it by.");
        }

        var shopCurrency = string.IsNullOrWhiteSpace(c.Currency) ? merchantCurrency : c.Currency.Trim().ToUpperInvariant();
        if (!string.Equals(shopCurrency, merchantCurrency, StringComparison.Ordinal))
        {
            problems.Add($"The shop's currency {shopCurrency} differs from the currency {merchantCurrency} this merchant is set up with in CartCall; update the merchant's currency.");
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
        var e = new CartEvent(deliveryId, sessionId!, c.Customer is null ? null : Scalar(c.Customer.Id), at!.Value, type,
            Cart(c, shopCurrency), Url(c.AbandonedCheckoutUrl));
        var domainProblems = CartEventValidator.Validate(e, now);
        return domainProblems.Count > 0 ? (null, domainProblems) : (e, []);
    }

    /// <summary>
    /// The cart in the shop's money, bounded for storage; null when its lines cannot be valued in the shop's money (a
    /// multi-currency checkout without price sets), in which case the event still moves the session on.
    /// </summary>
    internal static CartSnapshot? Cart(ShopifyCheckout c, string shopCurrency)
    {
        var presentment = string.IsNullOrWhiteSpace(c.PresentmentCurrency) ? shopCurrency : c.PresentmentCurrency.Trim().ToUpperInvariant();
        var single = presentment == shopCurrency;
        var rate = single ? 1m : ShopPerPresentment(c, shopCurrency, presentment);
        var items = new List<LineItem>();
        var shownTotal = 0m;
        foreach (var line in c.LineItems ?? [])
        {
            if (line is null)
            {
                continue;
            }

            var quantity = (int)Math.Clamp(line.Quantity, 0, CartEventValidator.MaxQuantity);
            var shopUnit = Amount(line.PriceSet?.ShopMoney, shopCurrency) ?? (rate is { } r ? Converted(line.Price, r) : null);
            if (shopUnit is null)
            {
                return null;
            }

            var shownUnit = Amount(line.PriceSet?.PresentmentMoney, presentment) ?? (single ? shopUnit.Value : line.Price);
            shownTotal += Clamp(shownUnit) * quantity;
            var unit = Clamp(decimal.Round(shopUnit.Value, 4));
            var key = FirstNonEmpty(line.Sku?.Trim(), Scalar(line.VariantId)) ?? CartLines.SyntheticKey(line.Title, unit);
            items.Add(new LineItem(CartLines.StoredKey(key), CartLines.ShownTitle(line.Title), quantity, unit, null));
        }

        var cart = new CartSnapshot(shopCurrency, items, single || !CartEventValidator.IsCurrencyCode(presentment) ? null : new CartPresentment(presentment, shownTotal));
        return CartLines.Bounded(cart);
    }

    /// <summary>
    /// Shop money per unit of presentment money, from the first checkout-level price set holding both amounts; null
    /// when there is none (then only lines with their own price sets can be valued).
    /// </summary>
    private static decimal? ShopPerPresentment(ShopifyCheckout c, string shopCurrency, string presentment)
    {
        foreach (var bag in new[] { c.TotalLineItemsPriceSet, c.SubtotalPriceSet, c.TotalPriceSet })
        {
            if (Amount(bag?.ShopMoney, shopCurrency) is { } shop && Amount(bag?.PresentmentMoney, presentment) is { } shown && shop > 0 && shown > 0)
            {
                try
                {
                    return shop / shown;
                }
                catch (OverflowException)
                {
                    // Not a rate any real pair of currencies has; try the next price set.
                }
            }
        }

        return null;
    }

    /// <summary>The amount when it is in <paramref name="currency"/> (or names none) and not negative.</summary>
    private static decimal? Amount(ShopifyMoney? money, string currency) =>
        money?.Amount is { } amount && amount >= 0
        && (string.IsNullOrEmpty(money.CurrencyCode) || string.Equals(money.CurrencyCode.Trim(), currency, StringComparison.OrdinalIgnoreCase))
            ? amount
            : null;

    private static decimal? Converted(decimal amount, decimal rate)
    {
        try
        {
            return Clamp(amount) * rate;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static decimal Clamp(decimal amount) => Math.Clamp(amount, 0, CartEventValidator.MaxUnitAmount);

    private static string? Url(string? url) => url is { Length: > CartEventValidator.MaxTextLength } ? null : url;

    private static bool HasContent(JsonElement? address, JsonElement? lines) =>
        address is { ValueKind: JsonValueKind.Object } || lines is { ValueKind: JsonValueKind.Array } l && l.GetArrayLength() > 0;

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static string? Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.GetRawText(),
        _ => null,
    };
}
