using System.Globalization;
using System.Text.RegularExpressions;
using CartCall.Domain.Scoring;

namespace CartCall.Functions.Features.Merchants;

/// <summary>Says, in words a storefront developer can act on, everything wrong with a merchant document.</summary>
public static partial class MerchantValidator
{
    /// <summary>A daily call budget above a billion is a typo, and would overflow the minor units it is compared in.</summary>
    public const decimal MaxDailySpendBudget = 1_000_000_000m;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}$")]
    public static partial Regex IdPattern();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164Pattern();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyPattern();

    public static IReadOnlyList<string> Validate(Merchant m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var problems = new List<string>();

        if (!IdPattern().IsMatch(m.Id))
        {
            problems.Add("id must be 2–63 lower-case letters, digits or hyphens, starting with a letter or digit.");
        }

        if (m.SigningSecrets is not { Count: >= 1 and <= 2 })
        {
            problems.Add("signingSecrets must hold one or two secrets (two while rotating).");
        }
        else if (m.SigningSecrets.Any(s => string.IsNullOrEmpty(s) || s.Length < 16))
        {
            problems.Add("each signing secret must be at least 16 characters.");
        }

        if (!CurrencyPattern().IsMatch(m.Currency ?? ""))
        {
            problems.Add("currency must be an ISO 4217 code such as USD.");
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(m.TimeZone ?? "", out _))
        {
            problems.Add($"timeZone '{m.TimeZone}' is not a known IANA time zone.");
        }

        foreach (var (w, i) in m.BusinessHours.Select((w, i) => (w, i)))
        {
            if (!Enum.TryParse<DayOfWeek>(w.Day, ignoreCase: true, out _) || int.TryParse(w.Day, out _))
            {
                problems.Add($"businessHours[{i}].day '{w.Day}' must be a weekday name such as monday.");
            }

            if (!TimeOnly.TryParseExact(w.Opens, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                || !TimeOnly.TryParseExact(w.Closes, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                problems.Add($"businessHours[{i}] opens and closes must be HH:mm.");
            }
        }

        if (m.Scoring.MinScore is < 0 or > 1 || double.IsNaN(m.Scoring.MinScore))
        {
            problems.Add("scoring.minScore must be between 0 and 1.");
        }

        if (m.Scoring.MinCartValue < 0)
        {
            problems.Add("scoring.minCartValue must not be negative.");
        }

        problems.AddRange(ScoringWeights.Validate(m.Scoring.WeightOverrides).Select(p => "scoring.weightOverrides: " + p));

        if (m.ValueModel.DefaultMarginRate is < 0 or > 1)
        {
            problems.Add("valueModel.defaultMarginRate must be between 0 and 1.");
        }

        if (m.ValueModel.ExpectedRecoveryRate is < 0 or > 1)
        {
            problems.Add("valueModel.expectedRecoveryRate must be between 0 and 1.");
        }

        if (m.ValueModel.ExpectedAcceptanceRate is < 0 or > 1)
        {
            problems.Add("valueModel.expectedAcceptanceRate must be between 0 and 1.");
        }

        if (m.ValueModel.CallCost < 0)
        {
            problems.Add("valueModel.callCost must not be negative.");
        }

        if (m.DailyOfferBudget < 0)
        {
            problems.Add("dailyOfferBudget must not be negative.");
        }

        if (m.HookConcurrency is < 1 or > 100)
        {
            problems.Add("hookConcurrency must be between 1 and 100, or null for the app's limit.");
        }

        if (m.DailySpendBudget is < 0 or > MaxDailySpendBudget)
        {
            problems.Add($"dailySpendBudget must be between 0 and {MaxDailySpendBudget} (in the currency of the merchant's plan), or null for no limit.");
        }

        var caps = m.FrequencyCaps;
        if (caps.MaxOffersPerSession < 0 || caps.MaxOffersPerShopperPerDay < 0 || caps.MinMinutesBetweenOffers < 0 || caps.MaxDismissalsPerSession < 0)
        {
            problems.Add("frequencyCaps values must not be negative.");
        }

        foreach (var origin in m.AllowedOrigins)
        {
            if (!IsOrigin(origin))
            {
                problems.Add($"allowedOrigins: '{origin}' is not an origin (scheme://host[:port], no path).");
            }
        }

        if (m.PublishableKey is not null && !PublishableKeys.IsWellFormed(m.PublishableKey))
        {
            problems.Add($"publishableKey must be {PublishableKeys.Prefix} followed by at least {PublishableKeys.RandomLength} url-safe characters (A-Z a-z 0-9 - _); omit it to have one generated.");
        }

        if (m.AllowedCountries is null)
        {
            problems.Add("allowedCountries must be a list of ISO 3166 region codes such as GB (empty: no phone calls).");
        }
        else
        {
            foreach (var country in m.AllowedCountries.Where(c => !RegionPattern().IsMatch(c ?? "")))
            {
                problems.Add($"allowedCountries: '{country}' is not an upper-case two-letter ISO 3166 region code such as GB.");
            }
        }

        if (m.SourcePhoneNumber is not null && !E164Pattern().IsMatch(m.SourcePhoneNumber))
        {
            problems.Add($"sourcePhoneNumber '{m.SourcePhoneNumber}' must be in E.164 form, e.g. +442071838750.");
        }

        if (m.DailyCallBudget < 0)
        {
            problems.Add("dailyCallBudget must not be negative.");
        }

        ValidateExperiment(m.Experiment, problems);

        // A paid call: unknown currencies, negative or absurd prices are refused here, before any shopper sees them.
        if (m.ShopperPrice is { } price)
        {
            problems.AddRange(price.Validate().Select(p => "shopperPrice: " + p));
        }

        return problems;
    }

    private static void ValidateExperiment(ExperimentDto? experiment, List<string> problems)
    {
        if (experiment is null)
        {
            problems.Add("experiment must be an object with holdoutShare and attributionWindowHours (or be left out for the defaults).");
            return;
        }

        var hours = experiment.AttributionWindowHours;
        var minHours = Domain.Experiments.ExperimentSettings.MinAttributionWindow.TotalHours;
        var maxHours = Domain.Experiments.ExperimentSettings.MaxAttributionWindow.TotalHours;
        if (!double.IsFinite(hours) || hours < minHours || hours > maxHours)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"experiment.attributionWindowHours must be between {minHours:0.####} (1 minute) and {maxHours:0} (30 days)."));
            hours = 24;
        }

        problems.AddRange(new Domain.Experiments.ExperimentSettings(experiment.HoldoutShare, TimeSpan.FromHours(hours)).Validate());
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && uri.AbsolutePath == "/" && !value.EndsWith('/') && string.IsNullOrEmpty(uri.Query);
}
