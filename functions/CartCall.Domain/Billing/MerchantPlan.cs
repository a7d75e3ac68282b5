using System.Globalization;
using System.Text.Json.Serialization;
using CartCall.Domain.Preferences;
using Lib = global::PhoneNumbers;

namespace CartCall.Domain.Billing;

/// <summary>How connected time becomes billable time.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Rounding>))]
public enum Rounding
{
    /// <summary>Every second counts; the per-minute rate is applied pro rata, rounded half away from zero to the minor unit.</summary>
    [JsonStringEnumMemberName("per_second")] PerSecond,

    /// <summary>Each started minute counts as a whole minute.</summary>
    [JsonStringEnumMemberName("per_started_minute")] PerStartedMinute,
}

/// <summary>
/// One rate of a plan. <paramref name="Mode"/> null applies to both modes; <paramref name="Region"/> (libphonenumber's
/// ISO 3166 region of the dialled number, e.g. GB) only applies to phone calls. The most specific matching rule wins.
/// </summary>
public sealed record RateRule(CallMode? Mode, string? Region, long PerCallMinor, long PerMinuteMinor)
{
    /// <summary>Higher is more specific: region beats mode beats the catch-all.</summary>
    internal int Specificity => (Region is null ? 0 : 2) + (Mode is null ? 0 : 1);

    internal bool Matches(CallMode mode, string? region) =>
        (Mode is null || Mode == mode) && (Region is null || string.Equals(Region, region, StringComparison.Ordinal));

    public override string ToString() =>
        $"{(Mode is null ? "any" : Mode.Value.ToString().ToLowerInvariant())}/{Region ?? "any"}";
}

/// <summary>
/// A merchant plan (the application-service-provider model): a monthly fee, minutes included in it, and per-call and
/// per-minute rates by mode and destination region. Amounts are integer minor units of <paramref name="Currency"/>.
/// </summary>
/// <param name="MinorUnits">Optional: the caller's idea of the currency's exponent. When given it must agree with ISO 4217,
/// which catches clients that send yen in hundredths.</param>
public sealed record MerchantPlan(
    string Id,
    string Currency,
    long MonthlyFeeMinor,
    int IncludedMinutes,
    Rounding Rounding,
    IReadOnlyList<RateRule> Rates,
    int? MinorUnits = null)
{
    /// <summary>Prices beyond these (in major units) are refused as absurd; they are typos, not plans.</summary>
    public const long MaxMonthlyFeeMajor = 1_000_000;

    public const long MaxPerCallMajor = 1_000;
    public const long MaxPerMinuteMajor = 1_000;
    public const int MaxIncludedMinutes = 10_000_000;
    public const int MaxRates = 500;

    private static readonly HashSet<string> Regions =
        [.. Lib.PhoneNumberUtil.GetInstance().GetSupportedRegions()];

    /// <summary>The resolved currency; only valid once <see cref="Validate"/> returned nothing.</summary>
    [JsonIgnore]
    public Currency CurrencyInfo => Billing.Currency.Of(Currency);

    public Money MonthlyFee => new(MonthlyFeeMinor, CurrencyInfo);

    /// <summary>Everything wrong with the plan, as sentences; empty when it can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Id) || Id.Length > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            problems.Add("id must be 1–64 letters, digits, hyphens or underscores.");
        }

        var (currency, currencyProblem) = Billing.Currency.Parse(Currency);
        if (currencyProblem is not null)
        {
            problems.Add(currencyProblem);
        }
        else if (MinorUnits is { } stated && stated != currency.Exponent)
        {
            problems.Add($"minorUnits {stated} does not match ISO 4217: {currency.Code} has {currency.Exponent} minor unit digits.");
        }

        var perMajor = currencyProblem is null ? currency.MinorPerMajor : 100;
        CheckAmount(problems, "monthlyFee", MonthlyFeeMinor, MaxMonthlyFeeMajor * perMajor);
        if (IncludedMinutes is < 0 or > MaxIncludedMinutes)
        {
            problems.Add($"includedMinutes must be between 0 and {MaxIncludedMinutes.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!Enum.IsDefined(Rounding))
        {
            problems.Add("rounding must be per_second or per_started_minute.");
        }

        if (Rates is null || Rates.Count == 0)
        {
            problems.Add("rates must hold at least one rate; a plan without rates cannot price a call.");
            return problems;
        }

        if (Rates.Count > MaxRates)
        {
            problems.Add($"rates may hold at most {MaxRates} entries.");
        }

        var seen = new HashSet<(CallMode?, string?)>();
        for (var i = 0; i < Rates.Count; i++)
        {
            var rule = Rates[i];
            if (rule is null)
            {
                problems.Add($"rates[{i}] is missing.");
                continue;
            }

            if (rule.Mode is { } mode && !Enum.IsDefined(mode))
            {
                problems.Add($"rates[{i}].mode must be browser, phone or absent (both).");
            }

            if (rule.Region is not null)
            {
                if (!Regions.Contains(rule.Region))
                {
                    problems.Add($"rates[{i}].region '{rule.Region}' is not a region libphonenumber knows (upper-case ISO 3166, e.g. GB).");
                }
                else if (rule.Mode != CallMode.Phone)
                {
                    problems.Add($"rates[{i}] names region {rule.Region} but not mode phone: only phone calls have a destination region.");
                }
            }

            CheckAmount(problems, $"rates[{i}].perCall", rule.PerCallMinor, MaxPerCallMajor * perMajor);
            CheckAmount(problems, $"rates[{i}].perMinute", rule.PerMinuteMinor, MaxPerMinuteMajor * perMajor);
            if (!seen.Add((rule.Mode, rule.Region)))
            {
                problems.Add($"rates[{i}] repeats the rate for {rule}.");
            }
        }

        foreach (var mode in Enum.GetValues<CallMode>())
        {
            if (!Rates.Any(r => r is not null && r.Region is null && (r.Mode is null || r.Mode == mode)))
            {
                problems.Add($"rates has no rate for {mode.ToString().ToLowerInvariant()} calls to any region; add one without a region so every call can be priced.");
            }
        }

        return problems;
    }

    /// <summary>The rule that prices a call of <paramref name="mode"/> to <paramref name="region"/>.</summary>
    /// <exception cref="InvalidOperationException">No rule matches (the plan did not pass <see cref="Validate"/>).</exception>
    public RateRule RateFor(CallMode mode, string? region)
    {
        // Regions only distinguish phone calls; a browser call never matches a regional rule.
        var destination = mode == CallMode.Phone ? region : null;
        RateRule? best = null;
        foreach (var rule in Rates)
        {
            if (rule.Matches(mode, destination) && (best is null || rule.Specificity > best.Specificity))
            {
                best = rule;
            }
        }

        return best ?? throw new InvalidOperationException($"Plan '{Id}' has no rate for {mode} calls to {region ?? "any region"}.");
    }

    private static void CheckAmount(List<string> problems, string field, long minor, long max)
    {
        if (minor < 0)
        {
            problems.Add($"{field} must not be negative.");
        }
        else if (minor > max)
        {
            problems.Add($"{field} {minor.ToString(CultureInfo.InvariantCulture)} (minor units) is beyond the sane limit of {max.ToString(CultureInfo.InvariantCulture)}; amounts are in minor units (cents), not major.");
        }
    }
}
