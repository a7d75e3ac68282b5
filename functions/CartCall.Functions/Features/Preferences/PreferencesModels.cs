using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Preferences;

/// <summary>The body of <c>PUT /api/merchants/{merchantId}/preferences</c>. PUT replaces: what is omitted is cleared (consent excepted).</summary>
public sealed class PreferencesUpdate
{
    public PreferredMode? Mode { get; set; }

    /// <summary>As the shopper typed it; national numbers need <see cref="DefaultRegion"/>.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>ISO 3166 region used to read a number without +, e.g. GB.</summary>
    public string? DefaultRegion { get; set; }

    public QuietHoursText? QuietHours { get; set; }

    public string? TimeZone { get; set; }

    public string? Language { get; set; }

    /// <summary>Omitted: consent already on file for the same number stands. Given false: withdrawn.</summary>
    public ConsentInput? Consent { get; set; }
}

public sealed class ConsentInput
{
    /// <summary>Version of the consent wording the shopper was shown, e.g. 2026-11.</summary>
    public string? TextVersion { get; set; }

    public bool Given { get; set; }
}

/// <summary>Preferences as the widget sees them.</summary>
public sealed record PreferencesView(
    string ProfileId,
    PreferredMode Mode,
    string? PhoneNumber,
    QuietHoursText? QuietHours,
    string TimeZone,
    string Language,
    ConsentView? Consent)
{
    public static PreferencesView From(ShopperProfile p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var consent = p.ActiveConsent();
        return new(p.ProfileId, p.Mode, p.PhoneE164, p.QuietHours, p.TimeZone, p.Language,
            consent is null ? null : new ConsentView(consent.GivenAt, consent.TextVersion, consent.Origin));
    }
}

public sealed record ConsentView(DateTimeOffset GivenAt, string TextVersion, string Origin);

/// <summary>Everything held about the shopper: the stored profile (with every consent record and call id) and what the cookie says.</summary>
public sealed record PreferencesExport(
    DateTimeOffset ExportedAt,
    string MerchantId,
    string? ProfileId,
    ShopperProfile? Profile,
    PreferenceCookiePayload? Cookie);
