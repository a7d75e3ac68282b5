namespace CartCall.Domain.Carts;

/// <summary>One line of a cart.</summary>
/// <param name="Currency">
/// Optional per-line currency as sent by some storefronts; when present it must equal the cart's currency
/// (the validator refuses mixed carts because totals would be meaningless).
/// </param>
public sealed record LineItem(
    string Sku,
    string? Title,
    int Quantity,
    decimal UnitPrice,
    decimal? UnitCost,
    string? Currency = null)
{
    public decimal LineTotal => UnitPrice * Quantity;

    /// <summary>
    /// How many of the storefront's lines this line stands for: 1, except for the line a large cart's smallest lines
    /// are folded into (<see cref="CartLines.Bounded"/>), which keeps the count of distinct products right.
    /// </summary>
    public int Lines { get; init; } = 1;
}

/// <summary>
/// The cart as the shopper saw it when the storefront shows prices in another currency than the shop's (Shopify
/// Markets): its total in that currency. Scoring uses the shop's money; this is only for what the shopper is shown.
/// </summary>
public sealed record CartPresentment(string Currency, decimal Total);

/// <summary>The cart as the storefront saw it when an event happened, in the shop's currency.</summary>
/// <param name="Presentment">The total in the shopper's currency, when the storefront presented the cart in another one.</param>
public sealed record CartSnapshot(string Currency, IReadOnlyList<LineItem> Items, CartPresentment? Presentment = null)
{
    public static CartSnapshot Empty(string currency) => new(currency, []);

    // Indexed loops: foreach over IReadOnlyList boxes an enumerator, and these run on every scored event.
    public decimal Total
    {
        get
        {
            var total = 0m;
            for (var i = 0; i < Items.Count; i++)
            {
                var item = Items[i];
                total += item.UnitPrice * item.Quantity;
            }

            return total;
        }
    }

    /// <summary>Units in the cart (sum of quantities).</summary>
    public int ItemCount
    {
        get
        {
            var count = 0;
            for (var i = 0; i < Items.Count; i++)
            {
                var item = Items[i];
                count += item.Quantity;
            }

            return count;
        }
    }

    /// <summary>Distinct lines with a positive quantity.</summary>
    public int DistinctItems
    {
        get
        {
            var count = 0;
            for (var i = 0; i < Items.Count; i++)
            {
                var item = Items[i];
                if (item.Quantity > 0)
                {
                    count += item.Lines;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// Gross margin of the cart: Σ (price − cost) × quantity. Storefronts often do not send costs, so a
    /// line without a cost is assumed to earn <paramref name="defaultMarginRate"/> of its price.
    /// </summary>
    public decimal Margin(decimal defaultMarginRate)
    {
        var margin = 0m;
        for (var i = 0; i < Items.Count; i++)
        {
            var item = Items[i];
            var perUnit = item.UnitCost is { } cost ? item.UnitPrice - cost : item.UnitPrice * defaultMarginRate;
            margin += perUnit * item.Quantity;
        }

        return margin;
    }

    // Records compare lists by reference; a cart is a value, so compare its lines.
    public bool Equals(CartSnapshot? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || !string.Equals(Currency, other.Currency, StringComparison.Ordinal)
            || Items.Count != other.Items.Count || !Equals(Presentment, other.Presentment))
        {
            return false;
        }

        for (var i = 0; i < Items.Count; i++)
        {
            if (!Equals(Items[i], other.Items[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Currency, StringComparer.Ordinal);
        hash.Add(Presentment);
        foreach (var item in Items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }
}
