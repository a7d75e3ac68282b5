using System.Globalization;
using CartCall.Functions.Features.CartEvents;

namespace CartCall.LocalCloud.Simulator;

/// <summary>A product the simulated store sells. Cost is what the merchant pays, so margins are realistic.</summary>
public sealed record CatalogItem(string Sku, string Title, string Slug, decimal UnitPrice, decimal UnitCost);

/// <summary>How a simulated visit ended.</summary>
public enum SessionOutcome
{
    /// <summary>The shopper bought: the last event is <c>order_completed</c>.</summary>
    Completed,

    /// <summary>The shopper left without buying.</summary>
    Abandoned,
}

/// <summary>One event of a visit, at <see cref="Offset"/> after the visit started (shopper time, uncompressed).</summary>
public sealed record SimulatedEvent(TimeSpan Offset, CartEventMessage Message);

/// <summary>A whole visit: its events in the order they happened.</summary>
public sealed record SimulatedSession(string SessionId, string? ShopperId, SessionOutcome Outcome, string LastStep, IReadOnlyList<SimulatedEvent> Events)
{
    public TimeSpan Span => Events.Count == 0 ? TimeSpan.Zero : Events[^1].Offset;
}

/// <summary>Knobs of the shopper model; the defaults describe a small apparel store.</summary>
public sealed record ShopperSessionGeneratorOptions
{
    public static IReadOnlyList<CatalogItem> DefaultCatalog { get; } =
    [
        new("TEE-BLK-M", "Organic cotton tee, black", "organic-tee-black", 24.00m, 9.50m),
        new("TEE-WHT-M", "Organic cotton tee, white", "organic-tee-white", 24.00m, 9.50m),
        new("HOOD-GRY-L", "Heavyweight hoodie, grey", "heavyweight-hoodie", 68.00m, 27.00m),
        new("JEAN-IND-32", "Selvedge jeans, indigo", "selvedge-jeans", 129.00m, 52.00m),
        new("JKT-OLV-M", "Waxed field jacket, olive", "waxed-field-jacket", 249.00m, 110.00m),
        new("SNK-WHT-42", "Leather sneakers, white", "leather-sneakers", 159.00m, 61.00m),
        new("CAP-NVY", "Wool cap, navy", "wool-cap", 29.00m, 8.00m),
        new("SCF-RED", "Merino scarf, red", "merino-scarf", 45.00m, 16.00m),
        new("SOCK-3PK", "Sock three-pack", "sock-three-pack", 18.00m, 5.00m),
        new("BAG-CNV", "Canvas tote", "canvas-tote", 35.00m, 11.00m),
        new("BELT-BRN", "Leather belt, brown", "leather-belt", 55.00m, 19.00m),
        new("SHRT-OXF-M", "Oxford shirt, blue", "oxford-shirt", 79.00m, 30.00m),
    ];

    public string Currency { get; init; } = "USD";

    /// <summary>The storefront's origin, for page URLs.</summary>
    public Uri StoreUrl { get; init; } = new("http://127.0.0.1:7104/");

    public IReadOnlyList<CatalogItem> Catalog { get; init; } = DefaultCatalog;

    /// <summary>Share of visits by a logged-in shopper (who then carries a shopper id).</summary>
    public double LoggedInShare { get; init; } = 0.4;

    /// <summary>Logged-in shoppers are drawn from this many, so some return on other visits.</summary>
    public int ShopperPool { get; init; } = 200;

    /// <summary>A runaway walk is cut off here (counts as abandoned).</summary>
    public int MaxEventsPerSession { get; init; } = 60;
}

/// <summary>
/// Generates realistic shopper visits from a small Markov model over storefront steps (browse, add, view cart,
/// checkout, shipping, coupon rejected, payment failed, order completed, leave), with log-normal dwell times per step
/// and the odd return after a long absence. Deterministic for a seed, so tests and benchmarks can repeat a run.
/// Not thread-safe: one generator per producer.
/// </summary>
public sealed class ShopperSessionGenerator
{
    private readonly Random random;
    private readonly ShopperSessionGeneratorOptions options;

    public ShopperSessionGenerator(int seed, ShopperSessionGeneratorOptions? options = null)
    {
        this.options = options ?? new ShopperSessionGeneratorOptions();
        if (this.options.Catalog.Count == 0)
        {
            throw new ArgumentException("The catalog needs at least one product.", nameof(options));
        }

        random = new Random(seed);
    }

    private enum Step
    {
        Browse,
        AddItem,
        RemoveItem,
        ViewCart,
        Checkout,
        Shipping,
        CouponRejected,
        PaymentFailed,
        Complete,
        Leave,
    }

    /// <summary>The next visit; its events carry <c>occurredAt = start + offset</c>.</summary>
    public SimulatedSession Next(DateTimeOffset start)
    {
        var sessionId = "sim-" + Convert.ToHexStringLower(RandomBytes(6));
        string? shopperId = random.NextDouble() < options.LoggedInShare
            ? "shopper-" + random.Next(options.ShopperPool).ToString("D4", CultureInfo.InvariantCulture)
            : null;

        var cart = new List<LineItemMessage>();
        var events = new List<SimulatedEvent>();
        var offset = TimeSpan.Zero;
        var step = Step.Browse;
        var returned = false;
        var lastStep = "browse";
        var outcome = SessionOutcome.Abandoned;

        while (true)
        {
            if (step == Step.Leave)
            {
                // Some shoppers with a cart come back after a long break (another tab, the commute): a revisit.
                if (!returned && cart.Count > 0 && random.NextDouble() < 0.15 && events.Count < options.MaxEventsPerSession - 2)
                {
                    returned = true;
                    offset += TimeSpan.FromMinutes(35 + (random.NextDouble() * 85));
                    step = random.NextDouble() < 0.6 ? Step.ViewCart : Step.Browse;
                    continue;
                }

                break;
            }

            if (events.Count >= options.MaxEventsPerSession - 1 && step != Step.Complete)
            {
                break;
            }

            var (type, page) = Apply(step, cart);
            var sequence = events.Count + 1;
            events.Add(new SimulatedEvent(offset, new CartEventMessage
            {
                EventId = string.Create(CultureInfo.InvariantCulture, $"{sessionId}-{sequence:D3}"),
                SessionId = sessionId,
                ShopperId = shopperId,
                OccurredAt = start + offset,
                Type = type,
                PageUrl = new Uri(options.StoreUrl, page).AbsoluteUri,
                Cart = new CartMessage { Currency = options.Currency, Items = cart.Select(Copy).ToList() },
            }));
            lastStep = type;

            if (step == Step.Complete)
            {
                outcome = SessionOutcome.Completed;
                break;
            }

            offset += Dwell(step);
            step = NextStep(step, cart.Count > 0);
        }

        return new SimulatedSession(sessionId, shopperId, outcome, lastStep, events);
    }

    /// <summary>Applies the step to the cart; returns its wire event type and the page it happened on.</summary>
    private (string Type, string Page) Apply(Step step, List<LineItemMessage> cart)
    {
        switch (step)
        {
            case Step.AddItem:
                var product = options.Catalog[random.Next(options.Catalog.Count)];
                var quantity = random.NextDouble() switch { < 0.8 => 1, < 0.95 => 2, _ => 3 };
                var line = cart.Find(l => l.Sku == product.Sku);
                if (line is null)
                {
                    cart.Add(new LineItemMessage { Sku = product.Sku, Title = product.Title, Quantity = quantity, UnitPrice = product.UnitPrice, UnitCost = product.UnitCost });
                }
                else
                {
                    line.Quantity += quantity;
                }

                return ("item_added", "products/" + product.Slug);
            case Step.RemoveItem:
                var victim = cart[random.Next(cart.Count)];
                if (victim.Quantity > 1 && random.NextDouble() < 0.5)
                {
                    victim.Quantity--;
                }
                else
                {
                    cart.Remove(victim);
                }

                return ("item_removed", "cart");
            case Step.Browse:
                return ("page_viewed", random.NextDouble() < 0.25 ? "collections/all" : "products/" + options.Catalog[random.Next(options.Catalog.Count)].Slug);
            case Step.ViewCart: return ("cart_viewed", "cart");
            case Step.Checkout: return ("checkout_started", "checkout");
            case Step.Shipping: return ("shipping_viewed", "checkout/shipping");
            case Step.CouponRejected: return ("coupon_rejected", "checkout/payment");
            case Step.PaymentFailed: return ("payment_failed", "checkout/payment");
            case Step.Complete: return ("order_completed", "checkout/thank-you");
            default: throw new ArgumentOutOfRangeException(nameof(step), step, "Leave is not an event.");
        }
    }

    private Step NextStep(Step from, bool hasItems)
    {
        // Weights of the next step from each step; steps that need items are dropped when the cart is empty.
        (Step To, double Weight)[] choices = from switch
        {
            Step.Browse => [(Step.Browse, 0.45), (Step.AddItem, 0.28), (Step.ViewCart, 0.10), (Step.Leave, 0.17)],
            Step.AddItem => [(Step.Browse, 0.38), (Step.AddItem, 0.14), (Step.ViewCart, 0.38), (Step.Leave, 0.10)],
            Step.RemoveItem => [(Step.ViewCart, 0.45), (Step.Browse, 0.30), (Step.Leave, 0.25)],
            Step.ViewCart => [(Step.Checkout, 0.45), (Step.RemoveItem, 0.14), (Step.Browse, 0.21), (Step.Leave, 0.20)],
            Step.Checkout => [(Step.Shipping, 0.82), (Step.Leave, 0.18)],
            // The shipping step is where carts die: costs appear. Some reread it, some try a coupon, some pay.
            Step.Shipping => [(Step.Complete, 0.40), (Step.PaymentFailed, 0.11), (Step.CouponRejected, 0.13), (Step.Shipping, 0.05), (Step.ViewCart, 0.05), (Step.Leave, 0.26)],
            Step.CouponRejected => [(Step.Complete, 0.35), (Step.Shipping, 0.22), (Step.CouponRejected, 0.06), (Step.PaymentFailed, 0.04), (Step.Leave, 0.33)],
            Step.PaymentFailed => [(Step.Complete, 0.45), (Step.PaymentFailed, 0.15), (Step.Leave, 0.40)],
            _ => [(Step.Leave, 1.0)],
        };

        var total = 0.0;
        foreach (var (to, weight) in choices)
        {
            total += Allowed(to, hasItems) ? weight : 0;
        }

        var pick = random.NextDouble() * total;
        foreach (var (to, weight) in choices)
        {
            if (!Allowed(to, hasItems))
            {
                continue;
            }

            pick -= weight;
            if (pick < 0)
            {
                return to;
            }
        }

        return Step.Leave;
    }

    private static bool Allowed(Step to, bool hasItems) =>
        hasItems || to is Step.Browse or Step.AddItem or Step.Leave;

    /// <summary>Time spent on a step before the next event: log-normal around a typical dwell, clamped.</summary>
    private TimeSpan Dwell(Step step)
    {
        var (medianSeconds, sigma, maxSeconds) = step switch
        {
            Step.Browse => (25.0, 0.8, 300.0),
            Step.AddItem => (12.0, 0.6, 120.0),
            Step.RemoveItem => (10.0, 0.6, 120.0),
            Step.ViewCart => (30.0, 0.7, 300.0),
            Step.Checkout => (45.0, 0.6, 400.0),
            Step.Shipping => (75.0, 0.9, 720.0),
            Step.CouponRejected => (35.0, 0.7, 300.0),
            Step.PaymentFailed => (50.0, 0.7, 400.0),
            _ => (10.0, 0.5, 60.0),
        };

        var seconds = medianSeconds * Math.Exp(sigma * NextGaussian());
        // Whole milliseconds keep offsets exact through JSON and across runs.
        return TimeSpan.FromMilliseconds(Math.Round(Math.Clamp(seconds, 2.0, maxSeconds) * 1000));
    }

    private double NextGaussian()
    {
        // Box–Muller; 1 - u keeps the logarithm away from zero.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static LineItemMessage Copy(LineItemMessage l) =>
        new() { Sku = l.Sku, Title = l.Title, Quantity = l.Quantity, UnitPrice = l.UnitPrice, UnitCost = l.UnitCost };
}
