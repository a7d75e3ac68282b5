namespace CartCall.LocalCloud.Storefront;

/// <summary>A product the demo store sells. The unit cost is what lets CartCall compute the margin at risk.</summary>
public sealed record StorefrontProduct(string Sku, string Title, string Description, decimal UnitPrice, decimal UnitCost);

/// <summary>A shipping option on the checkout's shipping step.</summary>
public sealed record ShippingOption(string Id, string Label, decimal Price);

/// <summary>The store's fixed catalogue: a few coffee things at prices that make a call worth offering.</summary>
public static class StorefrontCatalog
{
    /// <summary>The card number that always declines, as payment providers' test cards do.</summary>
    public const string DeclineCard = "4000000000000002";

    public static IReadOnlyList<StorefrontProduct> Products { get; } =
    [
        new("ESP-PRO", "Barista Pro espresso machine", "15-bar pump, PID temperature control, steam wand.", 349.00m, 210.00m),
        new("GRN-CON", "Conical burr grinder", "40 grind settings, low-retention chute.", 129.00m, 70.00m),
        new("KET-GOO", "Gooseneck kettle", "Variable temperature, 1 litre.", 59.00m, 31.00m),
        new("BEA-ETH", "Ethiopian single-origin beans, 1 kg", "Washed Yirgacheffe, roasted weekly.", 24.50m, 12.00m),
    ];

    public static IReadOnlyList<ShippingOption> Shipping { get; } =
    [
        new("standard", "Standard (3-5 days)", 4.95m),
        new("express", "Express (next day)", 14.95m),
    ];

    public static StorefrontProduct? Find(string? sku) => Products.FirstOrDefault(p => string.Equals(p.Sku, sku, StringComparison.OrdinalIgnoreCase));
}
