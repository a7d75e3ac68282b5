using System.Globalization;

namespace CartCall.Domain.Carts;

/// <summary>
/// Checks a storefront event before it touches a session, so the app can answer 400 with every problem
/// at once instead of failing half-way. Problems are human-readable and name the offending field.
/// </summary>
public static class CartEventValidator
{
    public const int MaxLineItems = 500;
    public const int MaxIdLength = 128;
    public const int MaxQuantity = 100_000;
    public const int MaxTextLength = 2_048;

    /// <summary>Prices beyond this are treated as garbage; it also keeps cart arithmetic far from overflow.</summary>
    public const decimal MaxUnitAmount = 1_000_000_000m;

    /// <summary>
    /// How far ahead of our clock an event may claim to be. Storefront clocks drift by seconds, not minutes; an event
    /// stamped later would hold the session's idle re-check back by as much, so it is refused rather than trusted.
    /// The same bound as the signature's replay window.
    /// </summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Validates against the system clock. Prefer the overload taking the injected time.</summary>
    public static IReadOnlyList<string> Validate(CartEvent e) => Validate(e, TimeProvider.System.GetUtcNow());

    public static IReadOnlyList<string> Validate(CartEvent e, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(e);
        var problems = new List<string>();

        CheckId(problems, "eventId", e.EventId);
        CheckId(problems, "sessionId", e.SessionId);
        if (e.ShopperId is not null)
        {
            CheckId(problems, "shopperId", e.ShopperId);
        }

        if (!CartEventTypes.IsDefined(e.Type))
        {
            problems.Add($"type must be one of: {string.Join(", ", CartEventTypes.AllWireNames)}.");
        }

        if (e.OccurredAt == default)
        {
            problems.Add("occurredAt is missing.");
        }
        else if (e.OccurredAt - now > MaxClockSkew)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"occurredAt {e.OccurredAt:O} is more than {MaxClockSkew.TotalMinutes:0} minutes ahead of the server's clock ({now:O}); send the time the event happened, from a synchronised clock."));
        }

        if (e.PageUrl is { Length: > MaxTextLength })
        {
            problems.Add($"pageUrl is longer than {MaxTextLength} characters.");
        }

        if (e.Cart is { } cart)
        {
            CheckCart(problems, cart);
        }

        return problems;
    }

    private static void CheckCart(List<string> problems, CartSnapshot cart)
    {
        if (!IsCurrencyCode(cart.Currency))
        {
            problems.Add($"cart.currency '{cart.Currency}' must be 3 upper-case letters (ISO 4217, e.g. EUR).");
        }

        if (cart.Items is null)
        {
            problems.Add("cart.items is missing.");
            return;
        }

        if (cart.Items.Count > MaxLineItems)
        {
            problems.Add($"cart.items has {cart.Items.Count} lines; at most {MaxLineItems} are accepted.");
            return; // one message beats 500 more about the lines themselves
        }

        if (cart.Presentment is { } shown)
        {
            if (!IsCurrencyCode(shown.Currency))
            {
                problems.Add($"cart presentment currency '{shown.Currency}' must be 3 upper-case letters (ISO 4217).");
            }

            if (shown.Total < 0 || shown.Total > MaxUnitAmount * MaxQuantity)
            {
                problems.Add($"cart presentment total {shown.Total} is out of range.");
            }
        }

        var mixedReported = false;
        for (var i = 0; i < cart.Items.Count; i++)
        {
            var item = cart.Items[i];
            var at = $"cart.items[{i}]";
            if (item is null)
            {
                problems.Add($"{at} is missing.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(item.Sku))
            {
                problems.Add($"{at}.sku is empty.");
            }
            else if (item.Sku.Length > MaxIdLength)
            {
                problems.Add($"{at}.sku is longer than {MaxIdLength} characters.");
            }

            if (item.Title is { Length: > MaxTextLength })
            {
                problems.Add($"{at}.title is longer than {MaxTextLength} characters.");
            }

            if (item.Quantity < 0)
            {
                problems.Add($"{at}.quantity {item.Quantity} is negative.");
            }
            else if (item.Quantity > MaxQuantity)
            {
                problems.Add($"{at}.quantity {item.Quantity} is more than {MaxQuantity}.");
            }

            CheckAmount(problems, $"{at}.unitPrice", item.UnitPrice);
            if (item.UnitCost is { } cost)
            {
                CheckAmount(problems, $"{at}.unitCost", cost);
            }

            if (item.Currency is not null && !mixedReported
                && !string.Equals(item.Currency, cart.Currency, StringComparison.Ordinal))
            {
                problems.Add($"{at}.currency '{item.Currency}' differs from cart.currency '{cart.Currency}'; mixed currencies are not supported.");
                mixedReported = true;
            }
        }
    }

    private static void CheckAmount(List<string> problems, string field, decimal amount)
    {
        if (amount < 0)
        {
            problems.Add($"{field} {amount} is negative.");
        }
        else if (amount > MaxUnitAmount)
        {
            problems.Add($"{field} {amount} is more than {MaxUnitAmount}.");
        }
    }

    private static void CheckId(List<string> problems, string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{field} is empty.");
            return;
        }

        if (value.Length > MaxIdLength)
        {
            problems.Add($"{field} is longer than {MaxIdLength} characters.");
        }

        // Ids become Table storage keys, which forbid these characters.
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                problems.Add($"{field} contains a character that is not allowed (/ \\ # ? or a control character).");
                break;
            }
        }
    }

    public static bool IsCurrencyCode(string? currency) =>
        currency is { Length: 3 } && char.IsAsciiLetterUpper(currency[0]) && char.IsAsciiLetterUpper(currency[1])
        && char.IsAsciiLetterUpper(currency[2]);
}
