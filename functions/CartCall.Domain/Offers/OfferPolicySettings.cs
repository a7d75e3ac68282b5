using CartCall.Domain.Preferences;

namespace CartCall.Domain.Offers;

/// <summary>The merchant's economics of a call. Expected value of an offer = score × margin × recovery − acceptance × call cost.</summary>
/// <param name="DefaultMarginRate">Margin assumed for cart lines without a cost (0..1).</param>
/// <param name="CallCost">What one call costs the merchant (agent time plus telephony).</param>
/// <param name="ExpectedRecoveryRate">Share of would-be-abandoned carts one offer saves: seen, accepted, connected and
/// converted (0..1).</param>
/// <param name="ExpectedAcceptanceRate">Share of offers accepted, i.e. offers that become calls the merchant pays for
/// (0..1). 1 reads <paramref name="CallCost"/> as the cost of every offer.</param>
public sealed record ValueModel(decimal DefaultMarginRate, decimal CallCost, decimal ExpectedRecoveryRate, decimal ExpectedAcceptanceRate = 1m)
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

        if (ExpectedAcceptanceRate is < 0 or > 1)
        {
            problems.Add("value.expectedAcceptanceRate must be between 0 and 1.");
        }

        return problems;
    }
}

/// <param name="RequireCheckout">Offer only to a shopper who has started checking out: before that, help is rarely
/// wanted (proactive-chat vendors report the best take-up inside the cart and checkout) and the offer uses up the
/// session's only chance. The shipped default is true.</param>
public sealed record ScoringThresholds(double MinScore, decimal MinCartValue, bool RequireCheckout = false)
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
/// <param name="DailySpendBudget">What the merchant will spend on calls per day, in the currency its plan bills in,
/// counted from what ended calls were actually billed (<see cref="OfferCounters.SpentToday"/>); null: no limit.</param>
public sealed record OfferPolicySettings(
    ValueModel Value,
    ScoringThresholds Thresholds,
    BusinessHours Hours,
    FrequencyCaps Caps,
    int DailyOfferBudget,
    decimal? DailySpendBudget = null)
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

        if (DailySpendBudget < 0)
        {
            problems.Add("dailySpendBudget must not be negative.");
        }

        return problems;
    }
}

/// <summary>Counts the app keeps (per merchant, session and shopper) and the agents free right now.</summary>
/// <param name="SpentToday">What the merchant's calls that ended today were billed, in major units of its plan's currency.</param>
public sealed record OfferCounters(
    int OffersToday,
    int OffersThisSession,
    int OffersToShopperToday,
    int DismissalsThisSession,
    DateTimeOffset? LastOfferAt,
    int AvailableAgents,
    decimal SpentToday = 0);

/// <summary>
/// What a merchant who configures nothing gets: tuned on the shopper simulator's behaviour model (figures and method in
/// Scoring/README.md, "Calibration"). The app's merchant settings take their defaults from here.
/// </summary>
public static class OfferDefaults
{
    public const double MinScore = 0.7;

    public const double MinCartValue = 0;

    public const double DefaultMarginRate = 0.3;

    public const double CallCost = 2;

    public const double ExpectedRecoveryRate = 0.03;

    public const double ExpectedAcceptanceRate = 0.08;

    public static ValueModel Value { get; } = new((decimal)DefaultMarginRate, (decimal)CallCost, (decimal)ExpectedRecoveryRate, (decimal)ExpectedAcceptanceRate);

    public const bool RequireCheckout = true;

    public static ScoringThresholds Thresholds { get; } = new(MinScore, (decimal)MinCartValue, RequireCheckout);
}
