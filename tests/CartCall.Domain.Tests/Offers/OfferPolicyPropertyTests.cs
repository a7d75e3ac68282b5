using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Offers;

public class OfferPolicyPropertyTests
{
    private static readonly DayOfWeek[] Weekdays =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    private sealed record Case(
        Score Score, SessionFeatures Features, OfferPolicySettings Settings, OfferCounters Counters, DateTimeOffset Now,
        bool OrderCompleted, string HoursKind);

    private static readonly Gen<(BusinessHours Hours, string Kind)> Hours = Gen.Elements(
        (BusinessHours.AlwaysOpen, "always"),
        (new BusinessHours("Etc/UTC", []), "never"),
        (new BusinessHours("Etc/UTC", [.. Weekdays.Select(d => new OpeningWindow(d, new TimeOnly(9, 0), new TimeOnly(17, 0)))]), "utc-weekdays"));

    private static Gen<decimal> Money(int maxCents) => Gen.Choose(0, maxCents).Select(c => c / 100m);

    private static Gen<double> Fraction => Gen.Choose(0, 1000).Select(v => v / 1000.0);

    /// <summary>A counter that is usually under its cap (so all-pass cases are common) and sometimes at or over it.</summary>
    private static Gen<int> Under(int cap) => cap == 0
        ? Gen.Choose(0, 2)
        : Gen.Frequency((6, Gen.Choose(0, cap - 1)), (1, Gen.Choose(cap, cap + 2)));

    private static readonly Gen<Case> Cases =
        from value in Fraction
        from cartValue in Gen.Frequency((8, Money(100_000)), (1, Gen.Constant(0m)))
        from margin in Money(50_000)
        from items in Gen.Frequency((8, Gen.Choose(1, 4)), (1, Gen.Constant(0)))
        from featuresCompleted in Gen.Frequency((12, Gen.Constant(false)), (1, Gen.Constant(true)))
        from marginRate in Fraction
        from callCost in Money(2_000)
        from recovery in Fraction
        from acceptance in Gen.Frequency((3, Fraction), (1, Gen.Constant(1.0)))
        from requireCheckout in Gen.Elements(false, true)
        from reachedCheckout in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from minScore in Gen.Choose(0, 500).Select(v => v / 1000.0)
        from minCart in Money(20_000)
        from hours in Hours
        from caps in Gen.ArrayOf(Gen.Frequency((8, Gen.Choose(1, 3)), (1, Gen.Constant(0))), 4)
        from budget in Gen.Frequency((8, Gen.Choose(1, 5)), (1, Gen.Constant(0)))
        from spendBudget in Gen.Frequency((3, Gen.Constant<decimal?>(null)), (3, Money(10_000).Select(m => (decimal?)m)))
        from spent in Gen.Frequency((6, Money(5_000)), (1, Money(20_000)))
        from offersToday in Under(budget)
        from offersThisSession in Under(caps[0])
        from offersToShopper in Under(caps[1])
        from dismissals in Under(caps[3])
        from agents in Gen.Frequency((6, Gen.Choose(1, 3)), (1, Gen.Constant(0)))
        from lastOfferSecondsAgo in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(0, 900).Select(s => (int?)s))
        from minutesIntoWeek in Gen.Choose(0, 7 * 24 * 60)
        from completed in Gen.Frequency((12, Gen.Constant(false)), (1, Gen.Constant(true)))
        let now = T0.AddMinutes(minutesIntoWeek)
        select new Case(
            new Score(value, ScoreStates.BuildingCart, []),
            SessionFeatures.None with { CartValue = cartValue, CartMargin = margin, ItemCount = items, OrderCompleted = featuresCompleted, ReachedCheckout = reachedCheckout },
            new OfferPolicySettings(
                new ValueModel((decimal)marginRate, callCost, (decimal)recovery, (decimal)acceptance),
                new ScoringThresholds(minScore, minCart, requireCheckout),
                hours.Hours,
                new FrequencyCaps(caps[0], caps[1], TimeSpan.FromSeconds(caps[2] * 150), caps[3]),
                budget,
                spendBudget),
            new OfferCounters(offersToday, offersThisSession, offersToShopper, dismissals,
                lastOfferSecondsAgo is { } ago ? now.AddSeconds(-ago) : null, agents, spent),
            now,
            completed,
            hours.Kind);

    /// <summary>Which conditions fail, worked out independently of the policy.</summary>
    private static HashSet<DecisionReasonCode> Failing(Case c)
    {
        var failing = new HashSet<DecisionReasonCode>();
        var s = c.Settings;
        var ev = ((decimal)c.Score.Value * c.Features.CartMargin * s.Value.ExpectedRecoveryRate) - (s.Value.ExpectedAcceptanceRate * s.Value.CallCost);
        var utc = c.Now.UtcDateTime;
        var open = c.HoursKind switch
        {
            "always" => true,
            "never" => false,
            _ => Weekdays.Contains(utc.DayOfWeek) && utc.Hour is >= 9 and < 17,
        };

        void FailIf(bool condition, DecisionReasonCode code)
        {
            if (condition)
            {
                failing.Add(code);
            }
        }

        FailIf(c.OrderCompleted || c.Features.OrderCompleted, DecisionReasonCode.OrderCompleted);
        FailIf(c.Features.ItemCount == 0 || c.Features.CartValue == 0, DecisionReasonCode.EmptyCart);
        FailIf(c.Score.Value < s.Thresholds.MinScore, DecisionReasonCode.BelowScoreThreshold);
        FailIf(c.Features.CartValue < s.Thresholds.MinCartValue, DecisionReasonCode.BelowCartValue);
        FailIf(s.Thresholds.RequireCheckout && !c.Features.ReachedCheckout, DecisionReasonCode.NotInCheckout);
        FailIf(ev <= 0, DecisionReasonCode.NegativeExpectedValue);
        FailIf(!open, DecisionReasonCode.OutsideBusinessHours);
        FailIf(c.Counters.AvailableAgents == 0, DecisionReasonCode.NoAgentAvailable);
        FailIf(c.Counters.OffersThisSession >= s.Caps.MaxOffersPerSession, DecisionReasonCode.SessionCapReached);
        FailIf(c.Counters.OffersToShopperToday >= s.Caps.MaxOffersPerShopperPerDay, DecisionReasonCode.ShopperDailyCapReached);
        FailIf(c.Counters.LastOfferAt is { } last && c.Now - last < s.Caps.MinTimeBetweenOffers, DecisionReasonCode.TooSoonAfterLastOffer);
        FailIf(c.Counters.DismissalsThisSession >= s.Caps.MaxDismissalsPerSession, DecisionReasonCode.DismissedTooOften);
        FailIf(c.Counters.OffersToday >= s.DailyOfferBudget, DecisionReasonCode.DailyBudgetExhausted);
        FailIf(s.DailySpendBudget is { } spendBudget && c.Counters.SpentToday >= spendBudget, DecisionReasonCode.DailySpendBudgetExhausted);
        return failing;
    }

    [Property(MaxTest = 2000)]
    public Property Decide_WhenAnyConditionFails_NeverProposesAndNamesEachFailure() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var decision = OfferPolicy.Decide(c.Score, c.Features, c.Settings, c.Counters, c.Now, c.OrderCompleted);
            var failing = Failing(c);
            var codes = decision.Reasons.Select(r => r.Code).ToHashSet();

            return failing.Count > 0
                ? (!decision.Propose && codes.SetEquals(failing)).Label($"fails {string.Join(",", failing)}; got {string.Join(",", codes)}")
                : (decision.Propose && codes.SetEquals([DecisionReasonCode.Proposed])).Label("all conditions hold");
        });

    [Fact]
    public void Generator_ProducesBothProposalsAndEveryKindOfRefusal()
    {
        // Guards the property above against going vacuous: it must see yeses and each refusal reason.
        var sample = Cases.Sample(3000, 50).Select(Failing).ToList();
        Assert.True(sample.Count(f => f.Count == 0) >= 30, $"only {sample.Count(f => f.Count == 0)} all-pass cases; " + string.Join(", ", sample.SelectMany(f => f).GroupBy(c => c).Select(g => $"{g.Key}={g.Count()}")));
        var seen = sample.SelectMany(f => f).ToHashSet();
        Assert.Equal(Enum.GetValues<DecisionReasonCode>().Where(c => c != DecisionReasonCode.Proposed).Order(), seen.Order());
    }
}
