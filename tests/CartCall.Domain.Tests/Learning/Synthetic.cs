using System.Collections.ObjectModel;
using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Learning;

/// <summary>Sessions whose outcomes are drawn from a known logistic model, so a refit has a right answer.</summary>
internal static class Synthetic
{
    /// <summary>Weights on the scale of the transformed features, all different, some negative.</summary>
    public static ScoringWeights Truth { get; } = new(-1.2, new ReadOnlyDictionary<string, double>(new Dictionary<string, double>
    {
        [FeatureNames.CartValue] = 0.30,
        [FeatureNames.CartMargin] = -0.20,
        [FeatureNames.ItemCount] = 0.25,
        [FeatureNames.DistinctItems] = -0.15,
        [FeatureNames.SecondsInCheckout] = 0.05,
        [FeatureNames.ShippingDwellSeconds] = 0.40,
        [FeatureNames.PaymentFailures] = 0.80,
        [FeatureNames.CouponRejections] = 0.50,
        [FeatureNames.Revisits] = -0.30,
        [FeatureNames.IdleSeconds] = 0.20,
        [FeatureNames.ItemsRemoved] = 0.35,
        [FeatureNames.CartViews] = -0.10,
        [FeatureNames.PageViews] = -0.40,
        [FeatureNames.ReachedCheckout] = 1.00,
    }));

    /// <summary>Random but plausible sessions: every feature varies, margins are not a fixed share of value.</summary>
    public static SessionFeatures Features(Random r)
    {
        var value = Math.Round((decimal)Math.Exp(2 + (r.NextDouble() * 4)), 2);
        var items = 1 + r.Next(6);
        var checkout = r.NextDouble() < 0.6;
        return new SessionFeatures(
            CartValue: value,
            CartMargin: Math.Round(value * (decimal)(0.05 + (r.NextDouble() * 0.7)), 2),
            ItemCount: items,
            DistinctItems: 1 + r.Next(items),
            SecondsInCheckout: checkout ? r.NextDouble() * 1_500 : 0,
            ShippingDwellSeconds: checkout ? r.NextDouble() * 500 : 0,
            PaymentFailures: r.NextDouble() < 0.15 ? 1 + r.Next(3) : 0,
            CouponRejections: r.NextDouble() < 0.2 ? 1 + r.Next(3) : 0,
            Revisits: r.NextDouble() < 0.2 ? 1 + r.Next(4) : 0,
            IdleSeconds: r.NextDouble() * 700,
            ItemsRemoved: r.NextDouble() < 0.25 ? 1 + r.Next(4) : 0,
            CartViews: r.Next(8),
            PageViews: r.Next(40),
            ReachedCheckout: checkout);
    }

    /// <summary><paramref name="count"/> labelled examples drawn with <paramref name="weights"/>.</summary>
    public static List<TrainingExample> Examples(int count, int seed, ScoringWeights? weights = null)
    {
        var scorer = new CartScorer(weights ?? Truth);
        var r = new Random(seed);
        var examples = new List<TrainingExample>(count);
        for (var i = 0; i < count; i++)
        {
            var f = Features(r);
            var abandoned = r.NextDouble() < scorer.Evaluate(f).Value;
            examples.Add(new TrainingExample(f, abandoned, 1, "s" + i));
        }

        return examples;
    }
}
