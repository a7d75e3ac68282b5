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

    /// <summary>The shopper's hidden situation (intent, reason for leaving, how long the page stays open).</summary>
    public ShopperProfile Profile { get; init; } = ShopperProfile.Unknown;

    /// <summary>True when the visit ever had something in its cart.</summary>
    public bool HadCart => Events.Any(e => e.Message.Cart?.Items is { Count: > 0 });
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

    /// <summary>A visit is cut off after this many events (counts as abandoned).</summary>
    public int MaxEventsPerSession { get; init; } = 60;

    /// <summary>Who comes, why they leave, how they answer offers: Simulator/README.md.</summary>
    public ShopperBehaviourModel Behaviour { get; init; } = new();
}

/// <summary>
/// Generates shopper visits from the behaviour model in Simulator/README.md: each visit first draws a hidden profile
/// (browser, buyer, or abandoner with a reason), then walks the storefront the way such a shopper does: browsing and
/// building a cart, then at checkout the steps that reason produces (long shipping reads and coupons for extra costs,
/// declined cards for payment trouble, a stop right after starting for a required account...), with log-normal dwell
/// times per step, the odd pause or return after a long break. Deterministic for a seed, so tests, benchmarks and the
/// calibration repeat exactly. Not thread-safe: one generator per producer.
/// </summary>
public sealed class ShopperSessionGenerator
{
    private static readonly TimeSpan MaxLinger = TimeSpan.FromMinutes(30);

    private readonly Random random;
    private readonly ShopperSessionGeneratorOptions options;
    private readonly ShopperBehaviourModel model;
    private readonly (AbandonReason Reason, double Share)[] reasons;

    public ShopperSessionGenerator(int seed, ShopperSessionGeneratorOptions? options = null)
    {
        this.options = options ?? new ShopperSessionGeneratorOptions();
        if (this.options.Catalog.Count == 0)
        {
            throw new ArgumentException("The catalog needs at least one product.", nameof(options));
        }

        model = this.options.Behaviour ?? throw new ArgumentException("A behaviour model is required.", nameof(options));
        var problems = model.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        // Fixed order, so a seed means the same draws whatever order the dictionary enumerates in.
        reasons = [.. model.Reasons.Where(r => r.Value.Share > 0).OrderBy(r => r.Key).Select(r => (r.Key, r.Value.Share))];
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
    }

    /// <summary>The next visit; its events carry <c>occurredAt = start + offset</c> (shopper time).</summary>
    public SimulatedSession Next(DateTimeOffset start)
    {
        var sessionId = "sim-" + Convert.ToHexStringLower(RandomBytes(6));
        string? shopperId = random.NextDouble() < options.LoggedInShare
            ? "shopper-" + random.Next(options.ShopperPool).ToString("D4", CultureInfo.InvariantCulture)
            : null;

        var profile = DrawProfile();
        var walk = new Walk(this, sessionId, shopperId, start);
        switch (profile.Intent)
        {
            case ShopperIntent.Browser:
                BrowseOnly(walk);
                break;
            case ShopperIntent.Buyer:
                BuildCart(walk, profile);
                Buy(walk);
                break;
            default:
                BuildCart(walk, profile);
                if (profile.Reason != AbandonReason.NotReady || random.NextDouble() < 0.15)
                {
                    LeaveAtCheckout(walk, profile.Reason);
                }
                else
                {
                    // Not ready: a last look around or at the cart, then gone.
                    walk.Emit(random.NextDouble() < 0.5 ? Step.Browse : Step.ViewCart);
                }

                break;
        }

        var events = walk.Events;
        var outcome = events.Count > 0 && events[^1].Message.Type == "order_completed" ? SessionOutcome.Completed : SessionOutcome.Abandoned;
        if (outcome == SessionOutcome.Abandoned)
        {
            var median = model.For(profile).LingerMedianSeconds;
            profile = profile with { Linger = median > 0 ? LogNormal(median, 0.8, MaxLinger.TotalSeconds) : TimeSpan.Zero };
        }

        var last = events.Count == 0 ? "browse" : events[^1].Message.Type!;
        return new SimulatedSession(sessionId, shopperId, outcome, last, events) { Profile = profile };
    }

    private ShopperProfile DrawProfile()
    {
        if (random.NextDouble() >= model.CartShare)
        {
            return new ShopperProfile(ShopperIntent.Browser, AbandonReason.None, TimeSpan.Zero);
        }

        if (random.NextDouble() >= model.CartAbandonmentRate)
        {
            return new ShopperProfile(ShopperIntent.Buyer, AbandonReason.None, TimeSpan.Zero);
        }

        var pick = random.NextDouble() * reasons.Sum(r => r.Share);
        foreach (var (reason, share) in reasons)
        {
            pick -= share;
            if (pick < 0)
            {
                return new ShopperProfile(ShopperIntent.Abandoner, reason, TimeSpan.Zero);
            }
        }

        return new ShopperProfile(ShopperIntent.Abandoner, reasons[^1].Reason, TimeSpan.Zero);
    }

    private void BrowseOnly(Walk walk)
    {
        walk.Emit(Step.Browse);
        while (random.NextDouble() < 0.6 && walk.Emit(Step.Browse))
        {
        }
    }

    /// <summary>Browse, add one to five products with some browsing between, look at the cart; maybe take a long break.</summary>
    private void BuildCart(Walk walk, ShopperProfile profile)
    {
        walk.Emit(Step.Browse);
        while (random.NextDouble() < 0.4)
        {
            walk.Emit(Step.Browse);
        }

        var adds = 1;
        while (adds < 5 && random.NextDouble() < 0.45)
        {
            adds++;
        }

        for (var i = 0; i < adds; i++)
        {
            walk.Emit(Step.AddItem);
            if (random.NextDouble() < 0.3)
            {
                walk.Emit(Step.ViewCart);
            }

            if (i + 1 < adds)
            {
                walk.Emit(Step.Browse);
            }
        }

        // Price-sensitive shoppers trim the cart (never to empty: an empty cart has nothing to check out).
        var trims = profile.Reason is AbandonReason.ExtraCosts or AbandonReason.NotReady ? 0.25 : 0.06;
        if (walk.Units > 1 && random.NextDouble() < trims)
        {
            walk.Emit(Step.RemoveItem);
        }

        walk.Emit(Step.ViewCart);
        if (random.NextDouble() < model.BreakRate)
        {
            walk.Break(TimeSpan.FromMinutes(35 + (random.NextDouble() * 85)));
            walk.Emit(random.NextDouble() < 0.6 ? Step.ViewCart : Step.Browse);
        }
    }

    private void Buy(Walk walk)
    {
        walk.Emit(Step.Checkout);
        if (random.NextDouble() < model.BuyerPauseRate)
        {
            walk.Pause(LogNormal(model.BuyerPauseMedianSeconds, 0.7, 900));
        }

        walk.Emit(Step.Shipping, shippingMedian: 50);
        if (random.NextDouble() < 0.05)
        {
            walk.Emit(Step.Shipping, shippingMedian: 30);
        }

        if (random.NextDouble() < model.BuyerCouponRejectRate)
        {
            walk.Emit(Step.CouponRejected);
        }

        if (random.NextDouble() < model.BuyerDeclineRate)
        {
            walk.Emit(Step.PaymentFailed);
            if (random.NextDouble() < 0.15)
            {
                walk.Emit(Step.PaymentFailed);
            }
        }

        walk.Emit(Step.Complete);
    }

    /// <summary>The checkout steps a shopper who leaves for <paramref name="reason"/> takes before going.</summary>
    private void LeaveAtCheckout(Walk walk, AbandonReason reason)
    {
        switch (reason)
        {
            case AbandonReason.AccountRequired:
                walk.Emit(Step.Checkout);
                break;
            case AbandonReason.ExtraCosts:
                walk.Emit(Step.Checkout);
                walk.Emit(Step.Shipping, shippingMedian: 110);
                if (random.NextDouble() < 0.4)
                {
                    walk.Emit(Step.ViewCart);
                    walk.Emit(Step.Shipping, shippingMedian: 60);
                }

                if (random.NextDouble() < 0.45)
                {
                    walk.Emit(Step.CouponRejected);
                    if (random.NextDouble() < 0.25)
                    {
                        walk.Emit(Step.CouponRejected);
                    }
                }

                if (walk.Units > 1 && random.NextDouble() < 0.25)
                {
                    walk.Emit(Step.RemoveItem);
                    walk.Emit(Step.Shipping, shippingMedian: 60);
                }

                break;
            case AbandonReason.ComplicatedCheckout:
                walk.Emit(Step.Checkout, checkoutMedian: 90);
                walk.Emit(Step.Shipping, shippingMedian: 100);
                if (random.NextDouble() < 0.3)
                {
                    // Back to the cart to check what was ordered, then on through the steps again.
                    walk.Emit(Step.ViewCart);
                    walk.Emit(Step.Shipping, shippingMedian: 80);
                }

                break;
            case AbandonReason.DeliveryOrReturns:
                walk.Emit(Step.Checkout);
                walk.Emit(Step.Shipping, shippingMedian: 100);
                if (random.NextDouble() < 0.3)
                {
                    walk.Emit(Step.Shipping, shippingMedian: 60);
                }

                break;
            case AbandonReason.PaymentTrouble:
                walk.Emit(Step.Checkout);
                walk.Emit(Step.Shipping, shippingMedian: 50);
                walk.Emit(Step.PaymentFailed);
                if (random.NextDouble() < 0.5)
                {
                    walk.Emit(Step.PaymentFailed);
                    if (random.NextDouble() < 0.25)
                    {
                        walk.Emit(Step.PaymentFailed);
                    }
                }

                break;
            default:
                // Trust, and the not-ready few who look at shipping before going.
                walk.Emit(Step.Checkout);
                walk.Emit(Step.Shipping, shippingMedian: 60);
                break;
        }
    }

    /// <summary>Time spent on a step before the next event: log-normal around a typical dwell, clamped.</summary>
    private TimeSpan Dwell(Step step, double? medianOverride)
    {
        var (medianSeconds, sigma, maxSeconds) = step switch
        {
            Step.Browse => (25.0, 0.8, 300.0),
            Step.AddItem => (12.0, 0.6, 120.0),
            Step.RemoveItem => (10.0, 0.6, 120.0),
            Step.ViewCart => (30.0, 0.7, 300.0),
            Step.Checkout => (45.0, 0.6, 400.0),
            Step.Shipping => (75.0, 0.8, 720.0),
            Step.CouponRejected => (35.0, 0.7, 300.0),
            Step.PaymentFailed => (50.0, 0.7, 400.0),
            _ => (10.0, 0.5, 60.0),
        };

        return LogNormal(medianOverride ?? medianSeconds, sigma, maxSeconds);
    }

    private TimeSpan LogNormal(double medianSeconds, double sigma, double maxSeconds)
    {
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

    /// <summary>One visit being written: the cart, the clock and the events so far.</summary>
    private sealed class Walk(ShopperSessionGenerator generator, string sessionId, string? shopperId, DateTimeOffset start)
    {
        private readonly List<LineItemMessage> cart = [];
        private TimeSpan offset;
        private TimeSpan? pendingDwell;

        public List<SimulatedEvent> Events { get; } = [];

        public int Units => cart.Sum(l => l.Quantity);

        /// <summary>Adds the step's event after the previous step's dwell; false (and nothing) once the visit is full.</summary>
        public bool Emit(Step step, double? shippingMedian = null, double? checkoutMedian = null)
        {
            var max = generator.options.MaxEventsPerSession;
            if (Events.Count >= max || (Events.Count >= max - 1 && step != Step.Complete))
            {
                return false;
            }

            if (step is Step.ViewCart or Step.Checkout or Step.Shipping or Step.CouponRejected or Step.PaymentFailed or Step.Complete or Step.RemoveItem
                && cart.Count == 0)
            {
                return false;
            }

            offset += pendingDwell ?? TimeSpan.Zero;
            var (type, page) = Apply(step);
            Events.Add(new SimulatedEvent(offset, new CartEventMessage
            {
                EventId = string.Create(CultureInfo.InvariantCulture, $"{sessionId}-{Events.Count + 1:D3}"),
                SessionId = sessionId,
                ShopperId = shopperId,
                OccurredAt = start + offset,
                Type = type,
                PageUrl = new Uri(generator.options.StoreUrl, page).AbsoluteUri,
                Cart = new CartMessage { Currency = generator.options.Currency, Items = cart.Select(Copy).ToList() },
            }));

            var median = step switch
            {
                Step.Shipping => shippingMedian,
                Step.Checkout => checkoutMedian,
                _ => null,
            };
            pendingDwell = generator.Dwell(step, median);
            return true;
        }

        /// <summary>Silence on top of the current step's dwell (the shopper stepped away and came back).</summary>
        public void Pause(TimeSpan pause) => pendingDwell = (pendingDwell ?? TimeSpan.Zero) + pause;

        /// <summary>A long absence: the next event comes after it.</summary>
        public void Break(TimeSpan gap) => Pause(gap);

        private (string Type, string Page) Apply(Step step)
        {
            var random = generator.random;
            var catalog = generator.options.Catalog;
            switch (step)
            {
                case Step.AddItem:
                    var product = catalog[random.Next(catalog.Count)];
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
                    if (victim.Quantity > 1 && (cart.Count == 1 || random.NextDouble() < 0.5))
                    {
                        victim.Quantity--;
                    }
                    else if (cart.Count > 1)
                    {
                        cart.Remove(victim);
                    }
                    else
                    {
                        // The only line with a single unit: removing it would empty the cart; take nothing.
                        return ("cart_viewed", "cart");
                    }

                    return ("item_removed", "cart");
                case Step.Browse:
                    return ("page_viewed", random.NextDouble() < 0.25 ? "collections/all" : "products/" + catalog[random.Next(catalog.Count)].Slug);
                case Step.ViewCart: return ("cart_viewed", "cart");
                case Step.Checkout: return ("checkout_started", "checkout");
                case Step.Shipping: return ("shipping_viewed", "checkout/shipping");
                case Step.CouponRejected: return ("coupon_rejected", "checkout/payment");
                case Step.PaymentFailed: return ("payment_failed", "checkout/payment");
                case Step.Complete: return ("order_completed", "checkout/thank-you");
                default: throw new ArgumentOutOfRangeException(nameof(step), step, null);
            }
        }
    }
}
