using System.Globalization;
using System.Text.Json.Serialization;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Preferences;

/// <summary>
/// Everything CartCall holds about one shopper of one merchant: preferences, every consent given or withdrawn, and
/// the calls made. Stored whole as JSON in the <c>profiles</c> table (PK merchantId, RK profileId); exported as is.
/// </summary>
public sealed class ShopperProfile
{
    public string ProfileId { get; set; } = "";

    public string MerchantId { get; set; } = "";

    public PreferredMode Mode { get; set; } = PreferredMode.Ask;

    /// <summary>E.164, normalised by libphonenumber.</summary>
    public string? PhoneE164 { get; set; }

    /// <summary>The number's ISO region, for the merchant's allowed countries.</summary>
    public string? PhoneRegion { get; set; }

    /// <summary>libphonenumber's number type, e.g. MOBILE.</summary>
    public string? PhoneType { get; set; }

    public QuietHoursText? QuietHours { get; set; }

    /// <summary>IANA time zone of the shopper (quiet hours are in it).</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>BCP 47 language tag, e.g. en-GB.</summary>
    public string Language { get; set; } = "en";

    /// <summary>Every consent, oldest first; withdrawn ones stay, marked, as the record of what was agreed when.</summary>
    public List<ConsentRecord> ConsentRecords { get; set; } = [];

    /// <summary>Calls placed for this shopper (added by the call flow).</summary>
    public List<string> CallIds { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// When the shopper first came back for this profile (presented its cookie again, or a call was made for it); null
    /// while nobody has. A profile still unused long after it was made is erased (<see cref="UnusedProfileSweeper"/>).
    /// </summary>
    public DateTimeOffset? UsedAt { get; set; }

    [JsonIgnore]
    public string? ETag { get; set; }

    /// <summary>
    /// Whether the profile holds nothing but what an anonymous shopper has anyway (defaults, or what the cookie
    /// carries): then there is nothing to store, and nothing is.
    /// </summary>
    public bool HoldsNothingBeyond(ShopperProfile defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        return Mode == defaults.Mode && PhoneE164 is null && QuietHours is null && TimeZone == defaults.TimeZone && Language == defaults.Language
            && ConsentRecords.Count == 0 && CallIds.Count == 0;
    }

    /// <summary>The consent that covers the current phone number, if any.</summary>
    public ConsentRecord? ActiveConsent() =>
        PhoneE164 is null ? null : ConsentRecords.LastOrDefault(c => c.WithdrawnAt is null && c.PhoneE164 == PhoneE164);

    /// <summary>The preferences for the domain's mode selection and quiet-hours rules.</summary>
    public ShopperPreferences ToPreferences()
    {
        var consent = ActiveConsent();
        return new ShopperPreferences(
            Mode,
            PhoneE164,
            QuietHoursText.TryParse(QuietHours?.ToCompact(), out var quiet) ? quiet : null,
            TimeZone,
            Language,
            consent is null ? null : new Consent(consent.GivenAt, consent.TextVersion, consent.Origin));
    }

    /// <summary>A profile with nothing but defaults, as an anonymous shopper has.</summary>
    public static ShopperProfile Anonymous(string merchantId, string profileId, string language, DateTimeOffset now) => new()
    {
        MerchantId = merchantId,
        ProfileId = profileId,
        Language = language,
        CreatedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>One consent to be phoned: when, which wording, from which page origin, for which number.</summary>
public sealed class ConsentRecord
{
    public DateTimeOffset GivenAt { get; set; }

    public string TextVersion { get; set; } = "";

    /// <summary>The <c>Origin</c> of the request that gave it (the storefront page).</summary>
    public string Origin { get; set; } = "";

    public string PhoneE164 { get; set; } = "";

    public DateTimeOffset? WithdrawnAt { get; set; }
}

/// <summary>Quiet hours on the wire and in storage: local <c>HH:mm</c> start and end; end before start crosses midnight.</summary>
public sealed record QuietHoursText(string Start, string End)
{
    public string ToCompact() => Start + "-" + End;

    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss"];

    /// <summary>A local time as <c>HH:mm</c> (or <c>HH:mm:ss</c>, which some clients send), for saved and per-call preferences alike.</summary>
    public static bool TryParseTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    /// <summary>Reads the compact <c>HH:mm-HH:mm</c> form.</summary>
    public static bool TryParse(string? compact, out QuietHours? quiet)
    {
        quiet = null;
        var parts = compact?.Split('-');
        if (parts is not { Length: 2 } || !TryParseTime(parts[0], out var start) || !TryParseTime(parts[1], out var end))
        {
            return false;
        }

        quiet = new QuietHours(start, end);
        return true;
    }
}
