using BenchmarkDotNet.Attributes;
using CartCall.Domain.Carts;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;

namespace CartCall.Benchmarks.Scoring;

/// <summary>
/// The per-event hot path: derive features from a session, score them, decide on an offer.
/// Run: dotnet run -c Release --project tests/CartCall.Benchmarks -- --filter '*ScoringBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 10, 10, 0, 0, TimeSpan.Zero);

    private readonly CartScorer _scorer = new(ScoringWeights.Default);
    private readonly OfferPolicySettings _settings = new(
        new ValueModel(0.3m, 2.50m, 0.2m),
        new ScoringThresholds(0.4, 50m),
        BusinessHours.AlwaysOpen,
        new FrequencyCaps(2, 3, TimeSpan.FromMinutes(5), 1),
        100);

    private readonly OfferCounters _counters = new(10, 0, 0, 0, null, 2);
    private CartSession _session = null!;
    private DateTimeOffset _now;
    private SessionFeatures _features = null!;
    private Score _score = null!;

    [GlobalSetup]
    public void Setup()
    {
        // A typical checkout: ~25 events, two products, a coupon attempt, time on shipping.
        _session = CartSession.Start("merchant-1", "sess-1");
        var cart = new CartSnapshot("EUR",
        [
            new LineItem("mug", "Mug", 2, 12.50m, 5m),
            new LineItem("kettle", "Kettle", 1, 89.00m, null),
        ]);
        var types = new[]
        {
            CartEventType.PageViewed, CartEventType.PageViewed, CartEventType.ItemAdded, CartEventType.PageViewed,
            CartEventType.ItemAdded, CartEventType.CartViewed, CartEventType.CouponRejected, CartEventType.CheckoutStarted,
            CartEventType.ShippingViewed, CartEventType.CartViewed,
        };
        for (var i = 0; i < 25; i++)
        {
            var type = types[i % types.Length];
            _session.Apply(new CartEvent($"e{i}", "sess-1", "shopper-1", T0.AddSeconds(i * 30), type,
                type == CartEventType.PageViewed ? null : cart, "https://shop.example/checkout"));
        }

        _now = T0.AddSeconds(25 * 30 + 45);
        _features = _session.Features(_now, 0.3m);
        _score = _scorer.Evaluate(_features);
    }

    [Benchmark(Baseline = true)]
    public Score FeaturesAndEvaluate() => _scorer.Evaluate(_session.Features(_now, 0.3m));

    [Benchmark]
    public Score Evaluate() => _scorer.Evaluate(_features);

    [Benchmark]
    public OfferDecision Decide() => OfferPolicy.Decide(_score, _features, _settings, _counters, _now, orderCompleted: false);
}
