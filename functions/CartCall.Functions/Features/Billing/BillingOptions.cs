using System.ComponentModel.DataAnnotations;
using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Billing;

/// <summary>One rate of the platform's telephony cost table.</summary>
public sealed class TariffRateOptions
{
    /// <summary>browser, phone, or empty for both.</summary>
    public string? Mode { get; set; }

    /// <summary>ISO 3166 region of the dialled number (phone only), or empty.</summary>
    public string? Region { get; set; }

    public long PerCallMinor { get; set; }

    public long PerMinuteMinor { get; set; }

    internal RateRule ToRule() => new(
        string.IsNullOrEmpty(Mode) ? null : Mode.Equals("phone", StringComparison.OrdinalIgnoreCase) ? CallMode.Phone : CallMode.Browser,
        string.IsNullOrEmpty(Region) ? null : Region, PerCallMinor, PerMinuteMinor);
}

/// <summary>Billing settings, section <c>CartCall:Billing</c>.</summary>
public sealed class BillingOptions : IValidatableObject
{
    public const string Section = "CartCall:Billing";

    /// <summary>Currency the telephony provider bills the platform in.</summary>
    public string TelephonyCurrency { get; set; } = "USD";

    /// <summary>What calls cost the platform (ACS PSTN minutes). Empty: free (browser-only local runs).</summary>
    public List<TariffRateOptions> TelephonyRates { get; set; } = [];

    /// <summary>The payment provider's fee on captures (Stripe standard: 290 bp + 30).</summary>
    [Range(0, 2000)]
    public int ProviderFeeBasisPoints { get; set; } = 290;

    [Range(0, 10_000)]
    public long ProviderFeeFixedMinor { get; set; } = 30;

    /// <summary>Holds still open this long after they were placed are cancelled by the sweep (a call lasts minutes).</summary>
    public TimeSpan SweepHoldsAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// A hold placed at an offer's payment step whose call never came is released this long after the offer expired
    /// (room for an accept that began just before the expiry to finish).
    /// </summary>
    public TimeSpan UnusedHoldGrace { get; set; } = TimeSpan.FromMinutes(5);

    public TelephonyTariff Tariff => TelephonyRates.Count == 0
        ? TelephonyTariff.Free(TelephonyCurrency)
        : new TelephonyTariff(TelephonyCurrency, [.. TelephonyRates.Select(r => r.ToRule())]);

    public ProviderFeeSchedule Fees => new(ProviderFeeBasisPoints, ProviderFeeFixedMinor);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var mode in TelephonyRates.Select(r => r.Mode).Where(m => !string.IsNullOrEmpty(m) && !m.Equals("phone", StringComparison.OrdinalIgnoreCase) && !m.Equals("browser", StringComparison.OrdinalIgnoreCase)))
        {
            yield return new ValidationResult($"Billing:TelephonyRates mode '{mode}' must be browser, phone or empty.", [nameof(TelephonyRates)]);
        }

        foreach (var problem in Tariff.Validate().Concat(Fees.Validate()))
        {
            yield return new ValidationResult("Billing: " + problem, [nameof(TelephonyRates)]);
        }

        if (SweepHoldsAfter < TimeSpan.FromMinutes(10) || SweepHoldsAfter > TimeSpan.FromDays(6))
        {
            // Card authorisations last 7 days: sweep well before the network drops them.
            yield return new ValidationResult("Billing:SweepHoldsAfter must be between 10 minutes and 6 days.", [nameof(SweepHoldsAfter)]);
        }

        if (UnusedHoldGrace < TimeSpan.Zero || UnusedHoldGrace > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Billing:UnusedHoldGrace must be between 0 and 1 hour.", [nameof(UnusedHoldGrace)]);
        }
    }
}
