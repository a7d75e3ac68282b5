using Lib = global::PhoneNumbers;

namespace CartCall.Domain.Preferences;

/// <summary>Result of checking a phone number a shopper gave us.</summary>
/// <param name="NumberType">libphonenumber's type name, e.g. MOBILE, FIXED_LINE, PREMIUM_RATE.</param>
/// <param name="Problem">Why the number is refused; null when <paramref name="Ok"/>.</param>
public sealed record PhoneCheck(bool Ok, string? E164, string? RegionCode, string? NumberType, string? Problem);

/// <summary>Parses and vets shopper phone numbers with libphonenumber.</summary>
public static class PhoneNumbers
{
    private const int MaxInputLength = 64;
    private static readonly Lib.PhoneNumberUtil Util = Lib.PhoneNumberUtil.GetInstance();

    /// <summary>
    /// Number types we never dial: they cost the merchant (premium, shared cost), are not a person
    /// (voicemail, pager, UAN) or forward to somewhere unknown (personal numbers) — classic toll-fraud targets.
    /// </summary>
    private static readonly Dictionary<Lib.PhoneNumberType, string> Refused = new()
    {
        [Lib.PhoneNumberType.PREMIUM_RATE] = "a premium-rate number",
        [Lib.PhoneNumberType.SHARED_COST] = "a shared-cost number",
        [Lib.PhoneNumberType.UAN] = "a universal access number",
        [Lib.PhoneNumberType.VOICEMAIL] = "a voicemail access number",
        [Lib.PhoneNumberType.PAGER] = "a pager number",
        [Lib.PhoneNumberType.PERSONAL_NUMBER] = "a personal (forwarding) number",
    };

    /// <summary>libphonenumber type names that <see cref="Check"/> refuses.</summary>
    public static IReadOnlyCollection<string> RefusedTypes { get; } = [.. Refused.Keys.Select(k => k.ToString())];

    /// <param name="raw">What the shopper typed; national numbers need <paramref name="defaultRegion"/>.</param>
    /// <param name="defaultRegion">ISO 3166 region (e.g. GB) used when the number has no + prefix.</param>
    public static PhoneCheck Check(string raw, string? defaultRegion)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return Fail(null, null, null, "No phone number given.");
        }

        if (raw.Length > MaxInputLength)
        {
            return Fail(null, null, null, $"The phone number is longer than {MaxInputLength} characters.");
        }

        var region = string.IsNullOrWhiteSpace(defaultRegion) ? null : defaultRegion.Trim().ToUpperInvariant();
        Lib.PhoneNumber number;
        try
        {
            number = Util.Parse(raw, region);
        }
        catch (Lib.NumberParseException ex)
        {
            var why = ex.ErrorType switch
            {
                Lib.ErrorType.INVALID_COUNTRY_CODE => region is null
                    ? "it has no valid country code; start it with + and the country code"
                    : "its country code is not valid",
                Lib.ErrorType.NOT_A_NUMBER => "it is not a phone number",
                Lib.ErrorType.TOO_SHORT_NSN or Lib.ErrorType.TOO_SHORT_AFTER_IDD => "it is too short",
                Lib.ErrorType.TOO_LONG => "it is too long",
                _ => "it could not be read",
            };
            return Fail(null, null, null, $"The phone number could not be used: {why}.");
        }

        var e164 = Util.Format(number, Lib.PhoneNumberFormat.E164);
        var regionCode = Util.GetRegionCodeForNumber(number);
        if (!Util.IsValidNumber(number))
        {
            return Fail(e164, regionCode, null, $"{e164} is not a valid phone number.");
        }

        var type = Util.GetNumberType(number);
        var typeName = type.ToString();
        if (Refused.TryGetValue(type, out var description))
        {
            return Fail(e164, regionCode, typeName, $"{e164} is {description}; we do not place calls to those.");
        }

        if (type == Lib.PhoneNumberType.UNKNOWN)
        {
            return Fail(e164, regionCode, typeName, $"{e164} is of an unknown type; we only call numbers we can classify.");
        }

        return new PhoneCheck(true, e164, regionCode, typeName, null);
    }

    private static PhoneCheck Fail(string? e164, string? region, string? type, string problem) =>
        new(false, e164, region, type, problem);
}
