using CartCall.Domain.Scoring;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Scoring;

public class CartScorerTests
{
    // The arithmetic is checked against a fixed hand-written weight set, so these tests do not move when the
    // defaults are recalibrated; the defaults' behaviour is checked separately below.
    private static readonly ScoringWeights Fixed = new(-4.0, new Dictionary<string, double>
    {
        [FeatureNames.CartValue] = 0.15,
        [FeatureNames.ItemCount] = 0.10,
        [FeatureNames.DistinctItems] = 0.05,
        [FeatureNames.SecondsInCheckout] = 0.08,
        [FeatureNames.ShippingDwellSeconds] = 0.25,
        [FeatureNames.PaymentFailures] = 0.90,
        [FeatureNames.CouponRejections] = 0.60,
        [FeatureNames.Revisits] = 0.30,
        [FeatureNames.IdleSeconds] = 0.12,
        [FeatureNames.ItemsRemoved] = 0.25,
        [FeatureNames.CartViews] = 0.10,
        [FeatureNames.PageViews] = -0.15,
        [FeatureNames.ReachedCheckout] = 1.50,
    });

    private static readonly CartScorer Scorer = new(Fixed);

    private static readonly CartScorer Defaults = new(ScoringWeights.Default);

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    [Fact]
    public void Evaluate_EmptySession_IsInterceptOnlyWithNoReasons()
    {
        var score = Scorer.Evaluate(SessionFeatures.None);
        Assert.Equal(Sigmoid(-4), score.Value, 12);
        Assert.Empty(score.TopReasons);
        Assert.Equal(ScoreStates.Browsing, score.State);
    }

    [Fact]
    public void Evaluate_HandBuiltFeatures_MatchesLogisticFormulaAndRanksReasons()
    {
        var f = SessionFeatures.None with { PaymentFailures = 2, CouponRejections = 1, ReachedCheckout = true };
        var score = Scorer.Evaluate(f);

        // −4 + 0.9×2 + 0.6×1 + 1.5×1 = −0.1
        Assert.Equal(Sigmoid(-0.1), score.Value, 12);
        Assert.Equal([FeatureNames.PaymentFailures, FeatureNames.ReachedCheckout, FeatureNames.CouponRejections],
            score.TopReasons.Select(r => r.Feature));
        Assert.Equal([1.8, 1.5, 0.6], score.TopReasons.Select(r => Math.Round(r.Contribution, 12)));
        Assert.All(score.TopReasons, r => Assert.False(string.IsNullOrWhiteSpace(r.Description)));
    }

    [Fact]
    public void Evaluate_TopReasons_AreTheThreeLargestByMagnitudeIncludingNegative()
    {
        var weights = Fixed.With(new Dictionary<string, double> { [FeatureNames.PageViews] = -3 });
        var f = SessionFeatures.None with { PageViews = 20, PaymentFailures = 1, ReachedCheckout = true, CartViews = 1 };
        var score = new CartScorer(weights).Evaluate(f);

        // page_views: −3 × ln 21 ≈ −9.13; reached_checkout 1.5; payment_failures 0.9; cart_views 0.1 is dropped.
        Assert.Equal([FeatureNames.PageViews, FeatureNames.ReachedCheckout, FeatureNames.PaymentFailures],
            score.TopReasons.Select(r => r.Feature));
        Assert.Equal(-3 * Math.Log(21), score.TopReasons[0].Contribution, 9);
    }

    [Fact]
    public void Evaluate_CappedFeature_StopsGrowingAtCap()
    {
        var atCap = Scorer.Evaluate(SessionFeatures.None with { PaymentFailures = 3 });
        var beyond = Scorer.Evaluate(SessionFeatures.None with { PaymentFailures = 300 });
        Assert.Equal(atCap.Value, beyond.Value);
        Assert.Equal(Sigmoid(-4 + 2.7), atCap.Value, 12);
    }

    [Fact]
    public void Defaults_TypicalHesitantCheckout_ScoreAboveTheDefaultThreshold_ExplainedByWhatTheShopperDid()
    {
        var session = SessionOf(TypicalCheckout());
        var score = Defaults.Evaluate(session.Features(T0.AddSeconds(470 + 45), 0.3m));

        Assert.True(score.Value >= Domain.Offers.OfferDefaults.MinScore, $"score {score.Value}");
        Assert.Equal(ScoreStates.HesitatingInCheckout, score.State);
        Assert.Contains(score.TopReasons, r => r.Feature == FeatureNames.ShippingDwellSeconds && r.Contribution > 0);
    }

    [Fact]
    public void Defaults_CartJustBuilt_ScoresBelowAHesitantCheckout()
    {
        var events = TypicalCheckout().Take(6).ToList(); // browsing, two products, cart viewed: no checkout yet
        var building = Defaults.Evaluate(SessionOf(events).Features(T0.AddSeconds(235), 0.3m));
        var hesitant = Defaults.Evaluate(SessionOf(TypicalCheckout()).Features(T0.AddSeconds(470 + 45), 0.3m));

        Assert.True(building.Value < hesitant.Value, $"building {building.Value}, hesitant {hesitant.Value}");
    }

    [Fact]
    public void Defaults_SilenceInCheckout_RaisesTheScoreAsItGrows()
    {
        var session = SessionOf(TypicalCheckout());
        var lastEvent = T0.AddSeconds(470);
        var scores = new[] { 0, 30, 90, 180, 480 }.Select(s => Defaults.Evaluate(session.Features(lastEvent.AddSeconds(s), 0.3m)).Value).ToList();

        for (var i = 1; i < scores.Count; i++)
        {
            Assert.True(scores[i] > scores[i - 1], $"score at check {i} ({scores[i]}) is not above the one before ({scores[i - 1]})");
        }
    }

    [Fact]
    public void Evaluate_PaymentFailure_MovesTheScoreByItsWeightAndSetsPaymentTrouble()
    {
        var f = SessionOf(TypicalCheckout()).Features(T0.AddSeconds(500), 0.3m);
        var before = Scorer.Evaluate(f);
        var after = Scorer.Evaluate(f with { PaymentFailures = 1 });
        Assert.True(after.Value > before.Value);
        Assert.Equal(ScoreStates.PaymentTrouble, after.State);
    }

    [Theory]
    [InlineData(false, 0, false, 0, 0, ScoreStates.Browsing)]
    [InlineData(false, 2, false, 0, 0, ScoreStates.BuildingCart)]
    [InlineData(false, 2, true, 0, 30, ScoreStates.HesitatingInCheckout)]
    [InlineData(false, 2, true, 0, 180, ScoreStates.IdleInCheckout)]
    [InlineData(false, 2, true, 1, 180, ScoreStates.PaymentTrouble)]
    [InlineData(true, 2, true, 1, 180, ScoreStates.Completed)]
    public void Evaluate_State_FollowsMostSpecificSignal(bool completed, int items, bool checkout, int failures, double idle, string expected)
    {
        var f = SessionFeatures.None with
        {
            OrderCompleted = completed, ItemCount = items, ReachedCheckout = checkout, PaymentFailures = failures, IdleSeconds = idle,
        };
        Assert.Equal(expected, Scorer.Evaluate(f).State);
    }

    [Fact]
    public void Evaluate_NaNAndInfiniteInputs_AreTreatedAsZeroOrCapped()
    {
        var f = SessionFeatures.None with { SecondsInCheckout = double.NaN, IdleSeconds = double.PositiveInfinity, ShippingDwellSeconds = -5 };
        var score = Scorer.Evaluate(f);
        Assert.Equal(Sigmoid(-4 + (0.12 * 10)), score.Value, 12);
        Assert.Equal(FeatureNames.IdleSeconds, Assert.Single(score.TopReasons).Feature);
    }

    [Fact]
    public void Constructor_InvalidWeights_Throws()
    {
        var bad = ScoringWeights.Default with { Intercept = double.NaN };
        Assert.Throws<ArgumentException>(() => new CartScorer(bad));
    }

    [Fact]
    public void AsVector_IsKeyedByEveryFeatureName()
    {
        var vector = (SessionFeatures.None with { PaymentFailures = 2, ReachedCheckout = true, CartValue = 10.5m }).AsVector();
        Assert.Equal(FeatureNames.All.Order(), vector.Keys.Order());
        Assert.Equal(2, vector[FeatureNames.PaymentFailures]);
        Assert.Equal(1, vector[FeatureNames.ReachedCheckout]);
        Assert.Equal(10.5, vector[FeatureNames.CartValue]);
    }
}
