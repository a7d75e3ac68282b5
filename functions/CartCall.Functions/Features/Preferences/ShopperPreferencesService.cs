using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Preferences;

/// <summary>What preferences are checked for: a profile to save, or one call's accept.</summary>
public enum PreferencesUse
{
    /// <summary>PutPreferences: the shopper's saved profile, which must be coherent on its own.</summary>
    Profile,

    /// <summary>An accept that carries preferences in its body (a browser that blocks the third-party cookie).</summary>
    Call,
}

/// <summary>
/// The Preferences feature service: the one place shopper preferences are validated, whether the widget saves them
/// (PutPreferences) or sends them along with an accept (AcceptOffer), and where a saved profile is written. Functions
/// read the request and the cookie; this decides what the preferences are.
/// </summary>
public sealed class ShopperPreferencesService(TableProfileStore profiles, TimeProvider time)
{
    public const int MaxTextVersionLength = 64;

    /// <summary>Validates <paramref name="update"/> against the shopper's current profile and saves the result; nothing is stored on any problem.</summary>
    public async Task<(ShopperProfile? Saved, IReadOnlyList<string> Problems)> SaveAsync(
        ShopperProfile current, PreferencesUpdate update, string? origin, CancellationToken cancellationToken)
    {
        var (next, problems) = Check(current, update, origin);
        if (problems.Count > 0)
        {
            return (null, problems);
        }

        await StoreAsync(next!, cancellationToken).ConfigureAwait(false);
        return (next, []);
    }

    /// <summary>The profile <paramref name="update"/> makes of <paramref name="current"/>, or every problem with it; stores nothing.</summary>
    public (ShopperProfile? Next, IReadOnlyList<string> Problems) Check(ShopperProfile current, PreferencesUpdate update, string? origin) =>
        Apply(current, update, origin, time.GetUtcNow());

    /// <summary>Writes a profile that <see cref="Check"/> produced.</summary>
    public Task StoreAsync(ShopperProfile profile, CancellationToken cancellationToken) => profiles.SaveAsync(profile, cancellationToken);

    /// <summary>
    /// Preferences an accept carries, checked field by field as a save checks them, for one call of an anonymous
    /// shopper (nothing is stored). A request without an Origin records its consent as given at "accept".
    /// </summary>
    public (ShopperPreferences? Preferences, IReadOnlyList<string> Problems) ForCall(string merchantId, PreferencesUpdate update, string? origin)
    {
        var now = time.GetUtcNow();
        var anonymous = ShopperProfile.Anonymous(merchantId, "", ShopperLanguage.Default, now);
        var (next, problems) = Apply(anonymous, update, string.IsNullOrEmpty(origin) ? "accept" : origin, now, PreferencesUse.Call);
        return next is null ? (null, problems) : (next.ToPreferences(), []);
    }

    /// <summary>
    /// The profile after the update, or every problem with the update. Pure: <paramref name="current"/> is not changed.
    /// Every field is checked the same way for either <paramref name="use"/>; a profile to be saved must also be
    /// coherent (a mode, and for phone a number with consent), while preferences for one call need not be: mode
    /// selection falls back (to the browser, or to asking the shopper) where they fall short.
    /// </summary>
    internal static (ShopperProfile? Next, IReadOnlyList<string> Problems) Apply(
        ShopperProfile current, PreferencesUpdate u, string? origin, DateTimeOffset now, PreferencesUse use = PreferencesUse.Profile)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(u);
        var problems = new List<string>();
        var saving = use == PreferencesUse.Profile;
        if (u.Mode is null && saving)
        {
            problems.Add("mode is required: browser, phone or ask.");
        }

        if (u.DefaultRegion is not null && (u.DefaultRegion.Length != 2 || !u.DefaultRegion.All(char.IsAsciiLetter)))
        {
            problems.Add($"defaultRegion '{u.DefaultRegion}' must be a two-letter ISO 3166 region code such as GB.");
        }

        PhoneCheck? phone = null;
        if (!string.IsNullOrWhiteSpace(u.PhoneNumber))
        {
            phone = PhoneNumbers.Check(u.PhoneNumber, u.DefaultRegion);
            if (!phone.Ok)
            {
                problems.Add("phoneNumber: " + phone.Problem);
            }
        }

        if (u.QuietHours is { } q)
        {
            if (!QuietHoursText.TryParseTime(q.Start, out var start) || !QuietHoursText.TryParseTime(q.End, out var end))
            {
                problems.Add("quietHours start and end must be local times as HH:mm, e.g. 21:00 and 08:00.");
            }
            else if (start == end)
            {
                problems.Add("quietHours start and end must differ (omit quietHours for none).");
            }
        }

        var timeZone = u.TimeZone ?? current.TimeZone;
        if (!TimeZones.IsKnown(timeZone))
        {
            problems.Add($"timeZone '{timeZone}' is not a known IANA time zone (e.g. Europe/London).");
        }

        var language = u.Language ?? current.Language;
        if (!ShopperLanguage.IsTag(language))
        {
            problems.Add($"language '{language}' must be a BCP 47 tag such as en or en-GB.");
        }

        var phoneE164 = phone is { Ok: true } ? phone.E164 : null;
        if (u.Consent is { Given: true } c)
        {
            if (string.IsNullOrWhiteSpace(c.TextVersion) || c.TextVersion.Length > MaxTextVersionLength)
            {
                problems.Add($"consent.textVersion is required (at most {MaxTextVersionLength} characters): the version of the wording the shopper agreed to.");
            }

            if (string.IsNullOrWhiteSpace(u.PhoneNumber) && saving)
            {
                problems.Add("consent to be phoned needs a phoneNumber.");
            }

            if (string.IsNullOrEmpty(origin))
            {
                problems.Add("consent must be given from the storefront page: the request has no Origin to record.");
            }
        }

        // Consent belongs to a number: one given earlier for another number does not cover this one.
        var consentOnFile = u.Consent is null && phoneE164 is not null
            && current.ConsentRecords.Any(r => r.WithdrawnAt is null && r.PhoneE164 == phoneE164);
        if (u.Mode == PreferredMode.Phone && saving)
        {
            if (string.IsNullOrWhiteSpace(u.PhoneNumber))
            {
                problems.Add("mode phone needs a phoneNumber.");
            }
            else if (u.Consent is not { Given: true } && !consentOnFile)
            {
                problems.Add("mode phone needs consent: send consent { textVersion, given: true } for this number.");
            }
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var records = current.ConsentRecords.Select(r => new ConsentRecord
        {
            GivenAt = r.GivenAt, TextVersion = r.TextVersion, Origin = r.Origin, PhoneE164 = r.PhoneE164, WithdrawnAt = r.WithdrawnAt,
        }).ToList();
        if (u.Consent is { } consent)
        {
            // A new consent supersedes older ones; a refusal withdraws them. Either way the history stays.
            foreach (var r in records.Where(r => r.WithdrawnAt is null))
            {
                r.WithdrawnAt = now;
            }

            if (consent.Given && phoneE164 is not null)
            {
                records.Add(new ConsentRecord { GivenAt = now, TextVersion = consent.TextVersion!, Origin = origin!, PhoneE164 = phoneE164! });
            }
        }

        var next = new ShopperProfile
        {
            ProfileId = current.ProfileId,
            MerchantId = current.MerchantId,
            Mode = u.Mode ?? PreferredMode.Ask,
            PhoneE164 = phoneE164,
            PhoneRegion = phone?.RegionCode,
            PhoneType = phone?.NumberType,
            QuietHours = u.QuietHours,
            TimeZone = timeZone,
            Language = language,
            ConsentRecords = records,
            CallIds = [.. current.CallIds],
            CreatedAt = current.CreatedAt,
            UpdatedAt = now,
            UsedAt = current.UsedAt,
        };

        var domainProblems = next.ToPreferences().Validate();
        return domainProblems.Count > 0 ? (null, domainProblems) : (next, []);
    }
}

