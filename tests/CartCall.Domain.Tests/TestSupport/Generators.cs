using CartCall.Domain.Carts;
using CartCall.Domain.Scoring;
using FsCheck;
using FsCheck.Fluent;

namespace CartCall.Domain.Tests.TestSupport;

/// <summary>FsCheck generators for domain values.</summary>
internal static class Generators
{
    private static readonly string[] Skus = ["mug", "kettle", "tea", "cup", "spoon"];

    public static Gen<CartSnapshot> Carts =>
        from count in Gen.Choose(0, 4)
        from lines in Gen.ArrayOf(
            from sku in Gen.Elements(Skus)
            from qty in Gen.Choose(0, 5)
            from cents in Gen.Choose(0, 50_000)
            from costCents in Gen.Choose(0, 50_000).Select(c => (decimal?)(c / 100m)).OrNullGen()
            select new LineItem(sku, null, qty, cents / 100m, costCents),
            count)
        select new CartSnapshot("EUR", lines);

    /// <summary>
    /// Events with distinct ids for one session. Times are drawn from a few hours, sometimes from a handful of
    /// fixed instants so simultaneous events (tie-breaking) are exercised too.
    /// </summary>
    public static Gen<CartEvent[]> EventSets(int maxEvents = 40) =>
        from count in Gen.Choose(0, maxEvents)
        from specs in Gen.ArrayOf(EventSpec, count)
        select specs.Select((s, i) => Build.Event($"ev-{i:D3}", s.Type, Build.T0.AddSeconds(s.Seconds), s.Cart, s.Shopper)).ToArray();

    private static Gen<(CartEventType Type, int Seconds, CartSnapshot? Cart, string? Shopper)> EventSpec =>
        from type in Gen.Elements(Enum.GetValues<CartEventType>())
        from seconds in Gen.OneOf(Gen.Choose(0, 4 * 3600), Gen.Elements(0, 60, 120))
        from cart in Carts.OrNullGen()
        from shopper in Gen.Elements<string?>(null, null, "shopper-a", "shopper-b")
        select (type, seconds, cart, shopper);

    /// <summary>Events plus a random permutation of them.</summary>
    public static Arbitrary<(CartEvent[] Events, CartEvent[] Shuffled)> EventsAndPermutation =>
        (from events in EventSets()
         from shuffled in Gen.Shuffle(events)
         select (events, shuffled)).ToArbitrary();

    /// <summary>Features with anything in them: negative counts, NaN, infinities, extreme decimals.</summary>
    public static Gen<SessionFeatures> AnyFeatures
    {
        get
        {
            var d = ArbMap.Default.GeneratorFor<double>();
            var i = ArbMap.Default.GeneratorFor<int>();
            var m = Gen.OneOf(ArbMap.Default.GeneratorFor<decimal>(), Gen.Elements(decimal.MaxValue, decimal.MinValue, 0m));
            var b = ArbMap.Default.GeneratorFor<bool>();
            var ints = Gen.ArrayOf(i, 8);
            var doubles = Gen.ArrayOf(Gen.OneOf(d, Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, -0.0)), 4);
            return from money in Gen.ArrayOf(m, 2)
                   from n in ints
                   from x in doubles
                   from flags in Gen.ArrayOf(b, 2)
                   select new SessionFeatures(money[0], money[1], n[0], n[1], x[0], x[1], n[2], n[3], n[4], x[2], n[5], n[6], n[7], flags[0], flags[1]);
        }
    }

    /// <summary>Valid weight sets: every feature and the intercept anywhere in the allowed range.</summary>
    public static Gen<ScoringWeights> AnyValidWeights =>
        from values in Gen.ArrayOf(Gen.Choose(-2000, 2000).Select(v => v / 100.0), FeatureNames.All.Count + 1)
        select new ScoringWeights(values[^1], FeatureNames.All.Select((name, k) => (name, k)).ToDictionary(p => p.name, p => values[p.k]));

    public static Gen<T?> OrNullGen<T>(this Gen<T> gen)
        where T : class =>
        Gen.Frequency((1, Gen.Constant<T?>(null)), (3, gen.Select(v => (T?)v)));

    public static Gen<T?> OrNullGen<T>(this Gen<T?> gen)
        where T : struct =>
        Gen.Frequency((1, Gen.Constant<T?>(null)), (3, gen));
}
