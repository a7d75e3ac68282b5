using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Offers;

public class OfferPolicyTests
{
    internal static readonly OfferPolicySettings Settings = new(
        new ValueModel(DefaultMarginRate: 0.3m, CallCost: 2.50m, ExpectedRecoveryRate: 0.2m),
        new ScoringThresholds(MinScore: 0.4, MinCartValue: 50m),
        BusinessHours.AlwaysOpen,
        new FrequencyCaps(MaxOffersPerSession: 2, MaxOffersPerShopperPerDay: 3, MinTimeBetweenOffers: TimeSpan.FromMinutes(5), MaxDismissalsPerSession: 1),
        DailyOfferBudget: 100);

    internal static readonly OfferCounters Quiet = new(OffersToday: 10, OffersThisSession: 0, OffersToShopperToday: 0,
        DismissalsThisSession: 0, LastOfferAt: null, AvailableAgents: 2);

    internal static readonly SessionFeatures Checkout = SessionFeatures.None with
    {
        CartValue = 200m, CartMargin = 80m, ItemCount = 2, DistinctItems = 2, ReachedCheckout = true,
    };

    internal static readonly Score Risky = new(0.6, ScoreStates.HesitatingInCheckout, []);

    private static OfferDecision Decide(Score? score = null, SessionFeatures? f = null, OfferPolicySettings? s = null,
        OfferCounters? c = null, DateTimeOffset? now = null, bool completed = false) =>
        OfferPolicy.Decide(score ?? Risky, f ?? Checkout, s ?? Settings, c ?? Quiet, now ?? T0, completed);

    [Fact]
    public void Decide_WhenEveryConditionHolds_ProposesWithExpectedValue()
    {
        var decision = Decide();
        Assert.True(decision.Propose);
        Assert.Equal((0.6m * 80m * 0.2m) - 2.50m, decision.ExpectedValue); // 7.10
        Assert.Equal(DecisionReasonCode.Proposed, Assert.Single(decision.Reasons).Code);
        Assert.Same(Risky, decision.Score);
    }

    [Fact]
    public void Decide_WhenOutsideBusinessHours_DeclinesWithReason()
    {
        var closedNow = Settings with
        {
            Hours = new BusinessHours("Etc/UTC", [new OpeningWindow(T0.DayOfWeek, new TimeOnly(14, 0), new TimeOnly(18, 0))]),
        };
        var decision = Decide(s: closedNow); // T0 is 10:00 UTC
        Assert.False(decision.Propose);
        var reason = Assert.Single(decision.Reasons);
        Assert.Equal(DecisionReasonCode.OutsideBusinessHours, reason.Code);
        Assert.Contains("Etc/UTC", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_WhenOrderCompleted_Declines()
    {
        Assert.Equal(DecisionReasonCode.OrderCompleted, Assert.Single(Decide(completed: true).Reasons).Code);
        Assert.Equal(DecisionReasonCode.OrderCompleted, Assert.Single(Decide(f: Checkout with { OrderCompleted = true }).Reasons).Code);
    }

    [Fact]
    public void Decide_WhenExpectedValueIsNegative_DeclinesWithTheArithmetic()
    {
        var decision = Decide(f: Checkout with { CartMargin = 10m }); // 0.6 × 10 × 0.2 − 2.5 = −1.30
        Assert.False(decision.Propose);
        Assert.Equal(-1.30m, decision.ExpectedValue);
        var reason = Assert.Single(decision.Reasons);
        Assert.Equal(DecisionReasonCode.NegativeExpectedValue, reason.Code);
        Assert.Contains("-1.30", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_WhenSeveralConditionsFail_ListsEveryReason()
    {
        var counters = Quiet with
        {
            AvailableAgents = 0, OffersThisSession = 2, OffersToShopperToday = 3, DismissalsThisSession = 1,
            LastOfferAt = T0.AddMinutes(-1), OffersToday = 100,
        };
        var decision = Decide(score: Risky with { Value = 0.1 }, f: SessionFeatures.None, c: counters);

        Assert.False(decision.Propose);
        Assert.Equal(
            new[]
            {
                DecisionReasonCode.EmptyCart, DecisionReasonCode.BelowScoreThreshold, DecisionReasonCode.BelowCartValue,
                DecisionReasonCode.NegativeExpectedValue, DecisionReasonCode.NoAgentAvailable, DecisionReasonCode.SessionCapReached,
                DecisionReasonCode.ShopperDailyCapReached, DecisionReasonCode.TooSoonAfterLastOffer,
                DecisionReasonCode.DismissedTooOften, DecisionReasonCode.DailyBudgetExhausted,
            }.Order(),
            decision.Reasons.Select(r => r.Code).Order());
        Assert.All(decision.Reasons, r => Assert.False(string.IsNullOrWhiteSpace(r.Message)));
    }

    [Fact]
    public void Decide_LastOfferLongEnoughAgo_IsNotTooSoon()
    {
        Assert.True(Decide(c: Quiet with { LastOfferAt = T0.AddMinutes(-5), OffersThisSession = 1 }).Propose);
        Assert.True(Decide(c: Quiet with { LastOfferAt = T0.AddMinutes(-4) }).HasReason(DecisionReasonCode.TooSoonAfterLastOffer));
    }

    [Fact]
    public void Decide_NonFiniteScore_NeverProposes()
    {
        var decision = Decide(score: Risky with { Value = double.NaN });
        Assert.False(decision.Propose);
        Assert.True(decision.HasReason(DecisionReasonCode.BelowScoreThreshold));
    }

    [Fact]
    public void Settings_Validate_ReportsBadValues()
    {
        var bad = Settings with
        {
            Value = new ValueModel(1.5m, -1m, 2m),
            Thresholds = new ScoringThresholds(1.2, -5m),
            Caps = Settings.Caps with { MaxOffersPerSession = -1 },
            DailyOfferBudget = -1,
            DailySpendBudget = -0.01m,
        };
        Assert.Equal(8, bad.Validate().Count);
        Assert.Contains("dailySpendBudget must not be negative.", bad.Validate());
        Assert.Empty(Settings.Validate());
    }

    [Fact]
    public void Decide_WhenTodaysCallsHaveBeenBilledTheSpendingBudget_Declines_AndSaysHowMuch()
    {
        var budgeted = Settings with { DailySpendBudget = 40m };

        Assert.True(Decide(s: budgeted, c: Quiet with { SpentToday = 39.99m }).Propose);
        var decision = Decide(s: budgeted, c: Quiet with { SpentToday = 40m });

        Assert.False(decision.Propose);
        var reason = Assert.Single(decision.Reasons);
        Assert.Equal(DecisionReasonCode.DailySpendBudgetExhausted, reason.Code);
        Assert.Equal("Today's calls have been billed 40.00, which reaches the daily spending budget of 40.00.", reason.Message);
    }

    [Fact]
    public void Decide_WithoutASpendingBudget_IgnoresWhatWasSpent()
    {
        Assert.True(Decide(c: Quiet with { SpentToday = 1_000_000m }).Propose);
    }

    [Fact]
    public void Decide_WithASpendingBudgetOfZero_NeverProposes()
    {
        Assert.True(Decide(s: Settings with { DailySpendBudget = 0m }).HasReason(DecisionReasonCode.DailySpendBudgetExhausted));
    }
}
