using System.Text.Json.Serialization;
using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;

namespace CartCall.Functions.Features.Merchants;

/// <summary>
/// A merchant's configuration, as the admin API takes it and Table storage keeps it. The domain's policy settings
/// are derived from it (<see cref="ToPolicySettings"/>), so the domain never sees wire shapes.
/// </summary>
public sealed class Merchant
{
    public string Id { get; set; } = "";

    public string DisplayName { get; set; } = "";

    /// <summary>Webhook signing secrets. Two at once so a storefront can rotate without dropping deliveries.</summary>
    public List<string> SigningSecrets { get; set; } = [];

    /// <summary>ISO 4217 code; carts in another currency are refused.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>IANA time zone for business hours and daily budgets.</summary>
    public string TimeZone { get; set; } = "UTC";

    public List<OpeningWindowDto> BusinessHours { get; set; } = [];

    public ScoringSettingsDto Scoring { get; set; } = new();

    public ValueModelDto ValueModel { get; set; } = new();

    /// <summary>At most this many offers a day, counted in the merchant's time zone.</summary>
    public int DailyOfferBudget { get; set; } = 100;

    /// <summary>
    /// At most this much spent on calls a day (issue 13, budget feedback): what the calls that ended today, in the
    /// merchant's time zone, were billed under its plan, in the plan's currency. Once reached, no more offers that day.
    /// Null: no spending limit (the offer and call budgets still apply).
    /// </summary>
    public decimal? DailySpendBudget { get; set; }

    public FrequencyCapsDto FrequencyCaps { get; set; } = new();

    /// <summary>Origins the widget may run on (CORS and the browser's cart events).</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>
    /// The widget's key (<c>pk_</c> + 24 url-safe characters). Public: it sits in the storefront's page and only names the
    /// merchant; what protects the browser endpoints is the origin check. Generated on create when absent.
    /// </summary>
    public string? PublishableKey { get; set; }

    /// <summary>ISO 3166 regions CartCall may dial for this merchant's phone calls (toll-fraud guard).</summary>
    public List<string> AllowedCountries { get; set; } = ["US", "CA", "GB"];

    /// <summary>The merchant's ACS number in E.164, the caller id of phone calls; null when only browser calls are made.</summary>
    public string? SourcePhoneNumber { get; set; }

    /// <summary>At most this many calls a day, counted in the merchant's time zone at accept.</summary>
    public int DailyCallBudget { get; set; } = 50;

    /// <summary>
    /// Paid calls (issue 13): what the shopper pays for a call (a flat price, or per minute with a cap), held on the
    /// card at accept and captured at hang-up. Null: calls are free to the shopper.
    /// </summary>
    public Domain.Billing.ShopperPrice? ShopperPrice { get; set; }

    /// <summary>
    /// At most this many of the merchant's hooks run at once at one lifecycle point (a CRM that takes two requests at a
    /// time asks for 2). Null: the app's <c>Hooks:MaxConcurrencyPerMerchant</c>, which is also the most a merchant gets.
    /// </summary>
    public int? HookConcurrency { get; set; }

    /// <summary>The merchant's experiment: the holdout (control group) and how long after a decision an order counts.</summary>
    public ExperimentDto Experiment { get; set; } = new();

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>
    /// Stands in for a merchant that does not exist, so the storefront gate treats it like one that allows no origin
    /// and has no publishable key (<see cref="Hosting.Cors.MerchantCors.Admit"/>).
    /// </summary>
    public static Merchant Unknown() => new() { Id = "", AllowedOrigins = [], PublishableKey = null, SigningSecrets = [] };

    /// <summary>
    /// The merchant's weight versions (live, shadow, history), loaded beside the document by the store; null until the
    /// merchant has any beyond its configured weights (defaults plus <see cref="ScoringSettingsDto.WeightOverrides"/>).
    /// </summary>
    [JsonIgnore]
    public WeightHistory? WeightHistory { get; set; }

    public OfferPolicySettings ToPolicySettings() => new(
        new ValueModel(ValueModel.DefaultMarginRate, ValueModel.CallCost, ValueModel.ExpectedRecoveryRate, ValueModel.ExpectedAcceptanceRate),
        new ScoringThresholds(Scoring.MinScore, Scoring.MinCartValue, Scoring.RequireCheckout),
        new BusinessHours(TimeZone, BusinessHours.Select(w => w.ToDomain()).ToList()),
        new FrequencyCaps(
            FrequencyCaps.MaxOffersPerSession,
            FrequencyCaps.MaxOffersPerShopperPerDay,
            TimeSpan.FromMinutes(FrequencyCaps.MinMinutesBetweenOffers),
            FrequencyCaps.MaxDismissalsPerSession),
        DailyOfferBudget,
        DailySpendBudget);

    /// <summary>The weights the merchant configured: the defaults with its overrides.</summary>
    public ScoringWeights ToScoringWeights() => ScoringWeights.Default.With(Scoring.WeightOverrides);

    public ExperimentSettings ToExperimentSettings() => new(Experiment.HoldoutShare, TimeSpan.FromHours(Experiment.AttributionWindowHours));

    // A merchant read from the store is served from its cache for every event of every session: derive the
    // domain's settings and scorer once per instance rather than once per event.
    private OfferPolicySettings? policySettings;
    private CartScorer? scorer;
    private CartScorer? shadowScorer;
    private ExperimentSettings? experimentSettings;

    /// <summary>The policy settings, derived once for this instance (merchants are not changed after they are read).</summary>
    [JsonIgnore]
    public OfferPolicySettings PolicySettings => policySettings ??= ToPolicySettings();

    /// <summary>A scorer with this merchant's live weights (<see cref="WeightHistory"/>'s live set), built once for this instance.</summary>
    [JsonIgnore]
    public CartScorer Scorer => scorer ??= new CartScorer(WeightHistory?.Live.Weights ?? ToScoringWeights());

    /// <summary>The version of the live weights (1 while the merchant has only its configured weights).</summary>
    [JsonIgnore]
    public int WeightsVersion => WeightHistory?.Live.Version ?? 1;

    /// <summary>A scorer with the shadow weights while a refit waits for its comparison, else null.</summary>
    [JsonIgnore]
    public CartScorer? ShadowScorer => WeightHistory?.Shadow is { } shadow ? shadowScorer ??= new CartScorer(shadow.Weights) : null;

    [JsonIgnore]
    public int? ShadowWeightsVersion => WeightHistory?.Shadow?.Version;

    /// <summary>The experiment settings, derived once for this instance.</summary>
    [JsonIgnore]
    public ExperimentSettings ExperimentSettings => experimentSettings ??= ToExperimentSettings();

    /// <summary>The calendar day at <paramref name="at"/> in the merchant's time zone: the day daily budgets count in.</summary>
    public DateOnly LocalDate(DateTimeOffset at) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(TimeZone)).DateTime);

    /// <summary>The merchant as the admin API shows it: secrets reduced to a hint.</summary>
    public Merchant Redacted()
    {
        var copy = (Merchant)MemberwiseClone();
        copy.SigningSecrets = SigningSecrets.Select(s => s.Length <= 4 ? "****" : "****" + s[^4..]).ToList();
        return copy;
    }
}

public sealed class OpeningWindowDto
{
    /// <summary>monday … sunday.</summary>
    public string Day { get; set; } = "";

    /// <summary>HH:mm local time.</summary>
    public string Opens { get; set; } = "";

    /// <summary>HH:mm local time; at or before <see cref="Opens"/> means the window runs past midnight.</summary>
    public string Closes { get; set; } = "";

    public OpeningWindow ToDomain() => new(
        Enum.Parse<DayOfWeek>(Day, ignoreCase: true),
        TimeOnly.Parse(Opens, System.Globalization.CultureInfo.InvariantCulture),
        TimeOnly.Parse(Closes, System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class ScoringSettingsDto
{
    // Defaults come from the domain, where they were calibrated (Scoring/README.md).

    /// <summary>Offer only when the abandonment-risk score is at least this (0–1).</summary>
    public double MinScore { get; set; } = OfferDefaults.MinScore;

    /// <summary>Offer only for carts worth at least this, in the merchant's currency.</summary>
    public decimal MinCartValue { get; set; } = (decimal)OfferDefaults.MinCartValue;

    /// <summary>Offer only once the shopper has started checking out.</summary>
    public bool RequireCheckout { get; set; } = OfferDefaults.RequireCheckout;

    /// <summary>Per-feature weight overrides of the default scoring model, by feature name.</summary>
    [JsonPropertyName("weightOverrides")]
    public Dictionary<string, double>? WeightOverrides { get; set; }
}

public sealed class ValueModelDto
{
    /// <summary>Margin assumed for line items that carry no unit cost (0–1).</summary>
    public decimal DefaultMarginRate { get; set; } = (decimal)OfferDefaults.DefaultMarginRate;

    /// <summary>What one call costs the merchant, in its currency.</summary>
    public decimal CallCost { get; set; } = (decimal)OfferDefaults.CallCost;

    /// <summary>Share of would-be-abandoned carts one offer saves (0–1).</summary>
    public decimal ExpectedRecoveryRate { get; set; } = (decimal)OfferDefaults.ExpectedRecoveryRate;

    /// <summary>Share of offers that become calls the merchant pays for (0–1).</summary>
    public decimal ExpectedAcceptanceRate { get; set; } = (decimal)OfferDefaults.ExpectedAcceptanceRate;
}

public sealed class ExperimentDto
{
    /// <summary>Share of sessions held out as the control group: decided as usual, the offer recorded and not shown (0–0.5).</summary>
    public double HoldoutShare { get; set; } = HoldoutAssignment.DefaultShare;

    /// <summary>An order completed within this many hours after the decision to offer is attributed to it (1 minute to 30 days).</summary>
    public double AttributionWindowHours { get; set; } = ExperimentSettings.Default.AttributionWindow.TotalHours;
}

public sealed class FrequencyCapsDto
{
    public int MaxOffersPerSession { get; set; } = 2;

    public int MaxOffersPerShopperPerDay { get; set; } = 3;

    public int MinMinutesBetweenOffers { get; set; } = 10;

    /// <summary>After this many dismissals in a session no further offer is made in it.</summary>
    public int MaxDismissalsPerSession { get; set; } = 1;
}
