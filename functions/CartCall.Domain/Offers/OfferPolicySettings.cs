using CartCall.Domain.Preferences;

namespace CartCall.Domain.Offers;

/// <summary>The merchant's economics of a call.</summary>
/// <param name="DefaultMarginRate">Margin assumed for cart lines without a cost (0..1).</param>
/// <param name="CallCost">What one offered call costs the merchant (agent time plus telephony).</param>
/// <param name="ExpectedRecoveryRate">Share of at-risk carts a call saves (0..1).</param>
public sealed record ValueModel(decimal DefaultMarginRate, decimal CallCost, decimal ExpectedRecoveryRate)
{
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (DefaultMarginRate is < 0 or > 1)
        {
            problems.Add("value.defaultMarginRate must be between 0 and 1.");
        }

        if (CallCost < 0)
        {
            problems.Add("value.callCost must not be negative.");
        }

        if (ExpectedRecoveryRate is < 0 or > 1)
        {
            problems.Add("value.expectedRecoveryRate must be between 0 and 1.");
        }

        return problems;
    }
}

public sealed record ScoringThresholds(double MinScore, decimal MinCartValue)
{
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(MinScore is >= 0 and <= 1))
        {
            problems.Add("thresholds.minScore must be between 0 and 1.");
        }

        if (MinCartValue < 0)
        {
            problems.Add("thresholds.minCartValue must not be negative.");
        }

        return problems;
    }
}

public sealed record FrequencyCaps(
    int MaxOffersPerSession,
    int MaxOffersPerShopperPerDay,
    TimeSpan MinTimeBetweenOffers,
    int MaxDismissalsPerSession)
{
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxOffersPerSession < 0)
        {
            problems.Add("caps.maxOffersPerSession must not be negative.");
        }

        if (MaxOffersPerShopperPerDay < 0)
        {
            problems.Add("caps.maxOffersPerShopperPerDay must not be negative.");
        }

        if (MinTimeBetweenOffers < TimeSpan.Zero)
        {
            problems.Add("caps.minTimeBetweenOffers must not be negative.");
        }

        if (MaxDismissalsPerSession < 0)
        {
            problems.Add("caps.maxDismissalsPerSession must not be negative.");
        }

        return problems;
    }
}

/// <summary>Everything a merchant configures about when to offer a call.</summary>
/// <param name="DailyOfferBudget">Offers the merchant will pay for per day, across all shoppers.</param>
public sealed record OfferPolicySettings(
    ValueModel Value,
    ScoringThresholds Thresholds,
    BusinessHours Hours,
    FrequencyCaps Caps,
    int DailyOfferBudget)
{
    /// <summary>All problems, for options validation at start-up and for the admin API's 400s.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Value is null) { problems.Add("value is missing."); } else { problems.AddRange(Value.Validate()); }
        if (Thresholds is null) { problems.Add("thresholds is missing."); } else { problems.AddRange(Thresholds.Validate()); }
        if (Hours is null) { problems.Add("hours is missing."); } else { problems.AddRange(Hours.Validate()); }
        if (Caps is null) { problems.Add("caps is missing."); } else { problems.AddRange(Caps.Validate()); }
        if (DailyOfferBudget < 0)
        {
            problems.Add("dailyOfferBudget must not be negative.");
        }

        return problems;
    }
}

/// <summary>Counts the app keeps (per merchant, session and shopper) and the agents free right now.</summary>
public sealed record OfferCounters(
    int OffersToday,
    int OffersThisSession,
    int OffersToShopperToday,
    int DismissalsThisSession,
    DateTimeOffset? LastOfferAt,
    int AvailableAgents);
