using CartCall.Domain.Scoring;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Scoring;

public class CartScorerTests
{
    private static readonly CartScorer Scorer = new(ScoringWeights.Default);

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
        var weights = ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.PageViews] = -3 });
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
    public void Evaluate_FreshBrowsingSession_ScoresBelowFivePercent()
    {
        var session = SessionOf([Event("e1", Domain.Carts.CartEventType.PageViewed, 0), Event("e2", Domain.Carts.CartEventType.PageViewed, 30)]);
        var score = Scorer.Evaluate(session.Features(T0.AddSeconds(45), 0.3m));
        Assert.True(score.Value < 0.05, $"score {score.Value}");
        Assert.Equal(ScoreStates.Browsing, score.State);
    }

    [Fact]
    public void Evaluate_TypicalHesitantCheckout_ScoresNearTheMiddle()
    {
        var session = SessionOf(TypicalCheckout());
        var score = Scorer.Evaluate(session.Features(T0.AddSeconds(470 + 45), 0.3m));
        Assert.InRange(score.Value, 0.3, 0.7);
        Assert.Equal(ScoreStates.HesitatingInCheckout, score.State);
        Assert.Equal(FeatureNames.ReachedCheckout, score.TopReasons[0].Feature);
    }

    [Fact]
    public void Evaluate_PaymentFailure_RaisesScoreAndSetsPaymentTrouble()
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
