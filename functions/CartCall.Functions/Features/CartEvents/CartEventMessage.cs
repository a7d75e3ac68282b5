using System.Globalization;
using CartCall.Domain.Carts;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// CartCall's own cart event, as a storefront posts it to <c>/api/merchants/{merchantId}/cart-events</c>.
/// Documented in the README and the OpenAPI document.
/// </summary>
public sealed class CartEventMessage
{
    /// <summary>Unique per event; a repeat delivery with the same id changes nothing.</summary>
    public string? EventId { get; set; }

    /// <summary>The storefront's session (cart) id.</summary>
    public string? SessionId { get; set; }

    /// <summary>The shopper's id when the storefront knows it (logged in).</summary>
    public string? ShopperId { get; set; }

    /// <summary>When it happened, ISO 8601 with an offset. Events are ordered by this, not by arrival.</summary>
    public DateTimeOffset? OccurredAt { get; set; }

    /// <summary>page_viewed, item_added, item_removed, cart_viewed, checkout_started, shipping_viewed, payment_failed, coupon_rejected or order_completed.</summary>
    public string? Type { get; set; }

    public string? PageUrl { get; set; }

    /// <summary>The whole cart after the event.</summary>
    public CartMessage? Cart { get; set; }
}

public sealed class CartMessage
{
    public string? Currency { get; set; }

    public List<LineItemMessage>? Items { get; set; }
}

public sealed class LineItemMessage
{
    public string? Sku { get; set; }

    public string? Title { get; set; }

    public int Quantity { get; set; }

    /// <summary>Price of one unit in the cart's currency.</summary>
    public decimal UnitPrice { get; set; }

    /// <summary>What one unit costs the merchant, when known; margin is computed from it.</summary>
    public decimal? UnitCost { get; set; }

    /// <summary>Optional per-line currency; when given it must equal the cart's.</summary>
    public string? Currency { get; set; }
}

/// <summary>Turns wire messages into domain events, listing every problem at once.</summary>
public static class CartEventMapper
{
    public const int MaxIdLength = 128;

    public static (CartEvent? Event, IReadOnlyList<string> Problems) ToDomain(CartEventMessage m, string merchantCurrency, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(m);
        var problems = new List<string>();
        RequireId(m.EventId, "eventId", problems);
        RequireId(m.SessionId, "sessionId", problems);
        if (m.ShopperId is not null)
        {
            RequireId(m.ShopperId, "shopperId", problems);
        }

        if (m.OccurredAt is null)
        {
            problems.Add("occurredAt is required (ISO 8601 with an offset).");
        }

        CartEventType type = default;
        if (string.IsNullOrEmpty(m.Type))
        {
            problems.Add("type is required.");
        }
        else if (!CartEventTypes.TryParse(m.Type, out type))
        {
            problems.Add($"type '{m.Type}' is not a known event type (page_viewed, item_added, item_removed, cart_viewed, checkout_started, shipping_viewed, payment_failed, coupon_rejected, order_completed).");
        }

        CartSnapshot? cart = null;
        if (m.Cart is not null)
        {
            var currency = m.Cart.Currency?.ToUpperInvariant();
            if (string.IsNullOrEmpty(currency))
            {
                problems.Add("cart.currency is required.");
            }
            else if (!string.Equals(currency, merchantCurrency, StringComparison.Ordinal))
            {
                problems.Add($"cart.currency {currency} differs from the merchant's currency {merchantCurrency}.");
            }

            var items = new List<LineItem>();
            foreach (var (item, i) in (m.Cart.Items ?? []).Select((x, i) => (x, i)))
            {
                if (item is null)
                {
                    problems.Add($"cart.items[{i}] is null.");
                    continue;
                }

                items.Add(new LineItem(item.Sku ?? "", item.Title, item.Quantity, item.UnitPrice, item.UnitCost, item.Currency?.ToUpperInvariant()));
            }

            cart = new CartSnapshot(currency ?? "", items);
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var e = new CartEvent(m.EventId!, m.SessionId!, m.ShopperId, m.OccurredAt!.Value, type, cart, m.PageUrl);
        var domainProblems = now is { } at ? CartEventValidator.Validate(e, at) : CartEventValidator.Validate(e);
        return domainProblems.Count > 0 ? (null, domainProblems) : (e, []);
    }

    private static void RequireId(string? value, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{name} is required.");
        }
        else if (value.Length > MaxIdLength || value.Any(c => char.IsControl(c) || c is '/' or '\\' or '#' or '?' or '|'))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {MaxIdLength} characters without control characters or / \\ # ? |."));
        }
    }
}
