using System.Text.Json.Serialization;

namespace CartCall.Domain.Preferences;

/// <summary>How a call actually reaches the shopper.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CallMode>))]
public enum CallMode
{
    [JsonStringEnumMemberName("browser")] Browser,
    [JsonStringEnumMemberName("phone")] Phone,
}

/// <summary>What the shopper told us they prefer.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PreferredMode>))]
public enum PreferredMode
{
    [JsonStringEnumMemberName("browser")] Browser,
    [JsonStringEnumMemberName("phone")] Phone,
    [JsonStringEnumMemberName("ask")] Ask,
}

/// <summary>Local wall-clock period in which the shopper must not be phoned; End &lt; Start crosses midnight.</summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End);

/// <summary>Proof the shopper agreed to be phoned: when, which wording, and where (page or channel).</summary>
public sealed record Consent(DateTimeOffset GivenAt, string TextVersion, string Origin);

public sealed record ShopperPreferences(
    PreferredMode Mode,
    string? PhoneE164,
    QuietHours? Quiet,
    string TimeZoneId,
    string Language,
    Consent? PhoneConsent)
{
    /// <summary>A number and consent to use it are both on file.</summary>
    [JsonIgnore]
    public bool CanBePhoned => !string.IsNullOrWhiteSpace(PhoneE164) && PhoneConsent is not null;

    /// <summary>Problems for the preferences API's 400s (the phone number itself is checked with <see cref="PhoneNumbers"/>).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Mode))
        {
            problems.Add("mode must be browser, phone or ask.");
        }

        if (!TimeZones.IsKnown(TimeZoneId))
        {
            problems.Add($"timeZoneId '{TimeZoneId}' is not a known IANA time zone (e.g. Europe/Berlin).");
        }

        if (string.IsNullOrWhiteSpace(Language) || Language.Length > 35)
        {
            problems.Add("language must be a BCP 47 tag such as en-GB.");
        }

        if (PhoneE164 is not null && (PhoneE164.Length is < 2 or > 16 || PhoneE164[0] != '+'))
        {
            problems.Add("phoneE164 must be in E.164 form, e.g. +442071838750.");
        }

        if (Mode == PreferredMode.Phone && PhoneE164 is null)
        {
            problems.Add("mode phone needs a phone number.");
        }

        if (PhoneConsent is { } consent
            && (string.IsNullOrWhiteSpace(consent.TextVersion) || string.IsNullOrWhiteSpace(consent.Origin)))
        {
            problems.Add("phoneConsent needs the consent text version and origin.");
        }

        return problems;
    }
}
