using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Preferences;

/// <summary>Who the shopper is, as far as a request tells: the cookie's profile id, or a fresh anonymous one.</summary>
internal sealed record Shopper(PreferenceCookiePayload Cookie, CookieStatus Presented, ShopperProfile? Profile)
{
    /// <summary>
    /// Reads the cookie; an invalid one is never trusted and is replaced by a new anonymous identity, so whatever
    /// the old profile held stays out of reach of whoever presented it.
    /// </summary>
    public static async Task<Shopper> ResolveAsync(
        HttpRequest request, string merchantId, PreferenceCookie cookies, TableProfileStore profiles, CancellationToken cancellationToken)
    {
        var read = cookies.Read(request, merchantId);
        if (!read.IsValid)
        {
            return new Shopper(cookies.Anonymous(merchantId, ShopperLanguage.Resolve(request, null)), read.Status, null);
        }

        var profile = await profiles.GetAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        return new Shopper(read.Payload, read.Status, profile);
    }

    /// <summary>The stored profile, or the defaults an anonymous shopper with this id has.</summary>
    public ShopperProfile ProfileOrDefaults(DateTimeOffset now) =>
        Profile ?? ShopperProfile.Anonymous(Cookie.MerchantId, Cookie.ProfileId, Cookie.Language, now);
}

/// <summary><c>GET /api/merchants/{merchantId}/preferences</c>: the shopper's preferences, anonymous defaults if none; always (re)sets the cookie.</summary>
public sealed class GetPreferences(PreferenceCookie cookies, TableProfileStore profiles, TimeProvider time)
{
    [Function(nameof(GetPreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesView))]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        var profile = shopper.ProfileOrDefaults(time.GetUtcNow());
        // The copy is rebuilt from the profile, so a cookie never outlives the data it copies (an erased phone stays erased).
        cookies.Write(request.HttpContext.Response, cookies.For(profile));
        return TypedResults.Ok(PreferencesView.From(profile));
    }
}

/// <summary><c>PUT /api/merchants/{merchantId}/preferences</c>: validates and saves the shopper's preferences; nothing is stored on any problem.</summary>
public sealed class PutPreferences(PreferenceCookie cookies, TableProfileStore profiles, IOptions<PreferencesOptions> options, TimeProvider time)
{
    public const int MaxTextVersionLength = 64;

    [Function(nameof(PutPreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [RequestBody(typeof(PreferencesUpdate))]
    [Response(200, typeof(PreferencesView))]
    [Problems(400, 403, 404, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(options);
        var (update, _, problem) = await JsonBody.ReadAsync<PreferencesUpdate>(request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        var current = shopper.ProfileOrDefaults(now);
        var origin = WidgetRequest.From(request.HttpContext)?.Origin;

        var (next, problems) = Apply(current, update!, origin, now);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The preferences are not valid; nothing was saved.", problems);
        }

        await profiles.SaveAsync(next!, cancellationToken).ConfigureAwait(false);
        cookies.Write(request.HttpContext.Response, cookies.For(next!));
        return TypedResults.Ok(PreferencesView.From(next!));
    }

    /// <summary>The profile after the update, or every problem with the update. Pure: <paramref name="current"/> is not changed.</summary>
    internal static (ShopperProfile? Next, IReadOnlyList<string> Problems) Apply(ShopperProfile current, PreferencesUpdate u, string? origin, DateTimeOffset now)
    {
        var problems = new List<string>();
        if (u.Mode is null)
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

            if (string.IsNullOrWhiteSpace(u.PhoneNumber))
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
        if (u.Mode == PreferredMode.Phone)
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

            if (consent.Given)
            {
                records.Add(new ConsentRecord { GivenAt = now, TextVersion = consent.TextVersion!, Origin = origin!, PhoneE164 = phoneE164! });
            }
        }

        var next = new ShopperProfile
        {
            ProfileId = current.ProfileId,
            MerchantId = current.MerchantId,
            Mode = u.Mode!.Value,
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
        };

        var domainProblems = next.ToPreferences().Validate();
        return domainProblems.Count > 0 ? (null, domainProblems) : (next, []);
    }
}

/// <summary><c>DELETE /api/merchants/{merchantId}/preferences</c>: right to erasure. The profile is deleted and the cookie expired.</summary>
public sealed class DeletePreferences(PreferenceCookie cookies, TableProfileStore profiles)
{
    [Function(nameof(DeletePreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(204)]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        var read = cookies.Read(request, merchantId);
        if (read.IsValid)
        {
            await profiles.DeleteAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        }

        cookies.Expire(request.HttpContext.Response, merchantId);
        return TypedResults.NoContent();
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/preferences/export</c>: everything held about the shopper who presents the cookie.</summary>
public sealed class ExportPreferences(PreferenceCookie cookies, TableProfileStore profiles, TimeProvider time)
{
    [Function(nameof(ExportPreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesExport))]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences/export")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        var read = cookies.Read(request, merchantId);
        if (!read.IsValid)
        {
            // Without a valid cookie the request names nobody, so nothing is disclosed.
            return TypedResults.Ok(new PreferencesExport(time.GetUtcNow(), merchantId, null, null, null));
        }

        var profile = await profiles.GetAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PreferencesExport(time.GetUtcNow(), merchantId, read.Payload.ProfileId, profile, read.Payload));
    }
}

public static class PreferencesFeature
{
    public static IServiceCollection AddPreferences(this IServiceCollection services)
    {
        services.AddOptions<PreferencesOptions>().BindConfiguration(PreferencesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PreferenceCookie>();
        services.AddSingleton<TableProfileStore>();
        return services;
    }
}
