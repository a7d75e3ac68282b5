using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CartCall.Domain.Carts;

/// <summary>
/// What a session keeps of a cart: enough to score it and to show it to an agent, bounded whatever the storefront
/// sent. A session is stored as one compressed property (at most 64 KB), so a cart of hundreds of lines with long
/// SKUs and titles must not be kept whole; and a storefront (Shopify) must not have a checkout refused that it
/// accepted itself. So: keys are kept short and stable, titles are cut for display, and lines past
/// <see cref="MaxStoredLines"/> are folded into one line that keeps their value, units, margin and line count.
/// </summary>
public static class CartLines
{
    /// <summary>Lines kept one by one; the rest (the cheapest) are folded into one.</summary>
    public const int MaxStoredLines = 50;

    /// <summary>A key longer than this is cut and made unique again with a hash of the whole.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>Titles are for people (the agent's view of the cart): this much of one is shown.</summary>
    public const int MaxShownTitleLength = 80;

    /// <summary>The key of the line that stands for the folded lines.</summary>
    public const string FoldedKey = "~more";

    private const int HashHexLength = 16;

    /// <summary>
    /// A stable key for a line that has no SKU and no variant (a custom line item): the same title and price give the
    /// same key on every update of the checkout, so the line is followed rather than counted anew.
    /// </summary>
    public static string SyntheticKey(string? title, decimal unitPrice)
    {
        var basis = (title ?? "").Trim() + "|" + unitPrice.ToString("0.####", CultureInfo.InvariantCulture);
        return "custom:" + Hash(basis);
    }

    /// <summary>The key as stored: unchanged up to <see cref="MaxKeyLength"/>, else its start, '~' and a hash of the whole.</summary>
    public static string StoredKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length <= MaxKeyLength)
        {
            return key;
        }

        var keep = MaxKeyLength - HashHexLength - 1;
        if (char.IsHighSurrogate(key[keep - 1]))
        {
            keep--;
        }

        return key[..keep] + "~" + Hash(key);
    }

    /// <summary>The title as shown: control characters dropped, whitespace trimmed, cut to <see cref="MaxShownTitleLength"/> with an ellipsis.</summary>
    public static string? ShownTitle(string? title)
    {
        if (title is null)
        {
            return null;
        }

        var clean = title.Any(char.IsControl) ? new string(title.Where(c => !char.IsControl(c)).ToArray()) : title;
        clean = clean.Trim();
        if (clean.Length <= MaxShownTitleLength)
        {
            return clean;
        }

        var keep = MaxShownTitleLength - 1;
        if (char.IsHighSurrogate(clean[keep - 1]))
        {
            keep--;
        }

        return clean[..keep].TrimEnd() + "…";
    }

    /// <summary>
    /// The cart as a session keeps it. Returns <paramref name="cart"/> itself when it is already within the bounds, so
    /// an ordinary cart is stored exactly as sent. Totals, units, margin and the count of lines are the same before
    /// and after (up to decimal rounding in the folded line's unit price).
    /// </summary>
    public static CartSnapshot Bounded(CartSnapshot cart)
    {
        ArgumentNullException.ThrowIfNull(cart);
        var items = cart.Items;
        if (items.Count <= MaxStoredLines && items.All(IsWithinBounds))
        {
            return cart;
        }

        var lines = items.Where(i => i is not null).Select(Shorten).ToList();
        if (lines.Count > MaxStoredLines)
        {
            // Keep the lines worth most (in their original order); fold the rest, which matter least to the agent.
            // Lines with and without a cost fold separately, so the margin still uses each line's own cost or the
            // merchant's default rate.
            var keepCount = MaxStoredLines - 2;
            var kept = lines.Select((line, index) => (line, index))
                .OrderByDescending(x => x.line.LineTotal).ThenBy(x => x.index)
                .Take(keepCount).OrderBy(x => x.index).Select(x => x.line).ToList();
            var keptSet = new HashSet<LineItem>(kept, ReferenceEqualityComparer.Instance);
            var rest = lines.Where(l => !keptSet.Contains(l)).ToList();
            kept.AddRange(Fold(rest.Where(l => l.UnitCost is not null).ToList(), withCost: true));
            kept.AddRange(Fold(rest.Where(l => l.UnitCost is null).ToList(), withCost: false));
            lines = kept;
        }

        return cart with { Items = lines };
    }

    private static bool IsWithinBounds(LineItem? item) =>
        item is not null && item.Sku.Length <= MaxKeyLength && (item.Title is null || (item.Title.Length <= MaxShownTitleLength && !item.Title.Any(char.IsControl)));

    private static LineItem Shorten(LineItem item) => item with { Sku = StoredKey(item.Sku), Title = ShownTitle(item.Title) };

    private static IEnumerable<LineItem> Fold(List<LineItem> lines, bool withCost)
    {
        var counted = lines.Where(l => l.Quantity > 0).ToList();
        if (counted.Count == 0)
        {
            // Lines without units add nothing to any total; nothing to keep.
            yield break;
        }

        var units = counted.Sum(l => (long)l.Quantity);
        var quantity = (int)Math.Min(units, int.MaxValue);
        var total = counted.Sum(l => l.LineTotal);
        decimal? cost = withCost ? counted.Sum(l => l.UnitCost!.Value * l.Quantity) / quantity : null;
        var foldedLines = counted.Sum(l => l.Lines);
        yield return new LineItem(
            FoldedKey + (withCost ? "" : "-nocost"),
            string.Create(CultureInfo.InvariantCulture, $"{foldedLines} more lines"),
            quantity,
            total / quantity,
            cost,
            counted[0].Currency)
        {
            Lines = foldedLines,
        };
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..HashHexLength];
}
