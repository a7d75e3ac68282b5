using System.Globalization;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Offers;

/// <summary>
/// Decides whether a call offer is worth making: the shopper must look at risk, the call must pay for itself,
/// someone must be there to answer, and the shopper must not be pestered.
/// </summary>
public static class OfferPolicy
{
    public static OfferDecision Decide(
        Score score,
        SessionFeatures f,
        OfferPolicySettings s,
        OfferCounters c,
        DateTimeOffset now,
        bool orderCompleted)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(c);

        // A malformed score must never turn into a yes.
        var value = double.IsFinite(score.Value) ? Math.Clamp(score.Value, 0, 1) : 0;
        var ev = ExpectedValue(value, f.CartMargin, s.Value);
        var reasons = new List<DecisionReason>(2);

        if (orderCompleted || f.OrderCompleted)
        {
            reasons.Add(new(DecisionReasonCode.OrderCompleted, "The order is already completed."));
        }

        if (f.ItemCount <= 0 || f.CartValue <= 0)
        {
            reasons.Add(new(DecisionReasonCode.EmptyCart, "The cart is empty."));
        }

        if (!(value >= s.Thresholds.MinScore))
        {
            reasons.Add(new(DecisionReasonCode.BelowScoreThreshold,
                Invariant($"Score {value:0.###} is below the threshold {s.Thresholds.MinScore:0.###}.")));
        }

        if (s.Thresholds.RequireCheckout && !f.ReachedCheckout)
        {
            reasons.Add(new(DecisionReasonCode.NotInCheckout, "The shopper has not started checking out."));
        }

        if (f.CartValue < s.Thresholds.MinCartValue)
        {
            reasons.Add(new(DecisionReasonCode.BelowCartValue,
                Invariant($"Cart value {f.CartValue:0.00} is below the minimum {s.Thresholds.MinCartValue:0.00}.")));
        }

        if (ev <= 0)
        {
            reasons.Add(new(DecisionReasonCode.NegativeExpectedValue,
                Invariant($"Expected value {ev:0.00} (score × margin {f.CartMargin:0.00} × recovery {s.Value.ExpectedRecoveryRate:0.###} − acceptance {s.Value.ExpectedAcceptanceRate:0.###} × call cost {s.Value.CallCost:0.00}) is not positive.")));
        }

        if (!s.Hours.IsOpen(now))
        {
            reasons.Add(new(DecisionReasonCode.OutsideBusinessHours,
                $"Outside business hours ({s.Hours.TimeZoneId})."));
        }

        if (c.AvailableAgents <= 0)
        {
            reasons.Add(new(DecisionReasonCode.NoAgentAvailable, "No agent is available."));
        }

        if (c.OffersThisSession >= s.Caps.MaxOffersPerSession)
        {
            reasons.Add(new(DecisionReasonCode.SessionCapReached,
                Invariant($"Already {c.OffersThisSession} offer(s) in this session (cap {s.Caps.MaxOffersPerSession}).")));
        }

        if (c.OffersToShopperToday >= s.Caps.MaxOffersPerShopperPerDay)
        {
            reasons.Add(new(DecisionReasonCode.ShopperDailyCapReached,
                Invariant($"Already {c.OffersToShopperToday} offer(s) to this shopper today (cap {s.Caps.MaxOffersPerShopperPerDay}).")));
        }

        if (c.LastOfferAt is { } last && now - last < s.Caps.MinTimeBetweenOffers)
        {
            reasons.Add(new(DecisionReasonCode.TooSoonAfterLastOffer,
                Invariant($"Last offer was {(now - last).TotalSeconds:0} s ago; at least {s.Caps.MinTimeBetweenOffers.TotalSeconds:0} s must pass.")));
        }

        if (c.DismissalsThisSession >= s.Caps.MaxDismissalsPerSession)
        {
            reasons.Add(new(DecisionReasonCode.DismissedTooOften,
                Invariant($"The shopper dismissed {c.DismissalsThisSession} offer(s) (limit {s.Caps.MaxDismissalsPerSession}).")));
        }

        if (c.OffersToday >= s.DailyOfferBudget)
        {
            reasons.Add(new(DecisionReasonCode.DailyBudgetExhausted,
                Invariant($"Today's budget of {s.DailyOfferBudget} offer(s) is used up.")));
        }

        // Real spending, not offers, is what the merchant's money runs out on: calls that ran long or on dear routes
        // use the day's budget up sooner than the offer count says.
        if (s.DailySpendBudget is { } spendBudget && c.SpentToday >= spendBudget)
        {
            reasons.Add(new(DecisionReasonCode.DailySpendBudgetExhausted,
                Invariant($"Today's calls have been billed {c.SpentToday:0.00}, which reaches the daily spending budget of {spendBudget:0.00}.")));
        }

        if (reasons.Count > 0)
        {
            return new OfferDecision(false, ev, score, reasons);
        }

        return new OfferDecision(true, ev, score,
        [
            new(DecisionReasonCode.Proposed,
                Invariant($"Score {value:0.###} with expected value {ev:0.00} in business hours with {c.AvailableAgents} agent(s) free.")),
        ]);
    }

    /// <summary>EV = score × margin × recovery − acceptance × call cost: what an offer saves on average, less the calls it causes.</summary>
    public static decimal ExpectedValue(double score, decimal margin, ValueModel value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var s = double.IsFinite(score) ? (decimal)Math.Clamp(score, 0, 1) : 0m;
        return (s * margin * value.ExpectedRecoveryRate) - (value.ExpectedAcceptanceRate * value.CallCost);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
