using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Preferences;

/// <summary>
/// The compact copy of a shopper's preferences the cookie carries, so a call can still be set up when the profile
/// cannot be read in time. It is a copy, never the record: the profile in <see cref="TableProfileStore"/> wins when
/// it can be read, and an erased profile is not revived from a cookie.
/// </summary>
public sealed record PreferenceCookiePayload
{
    /// <summary>Profile id, the row key in the <c>profiles</c> table.</summary>
    [JsonPropertyName("pid")] public required string ProfileId { get; init; }

    /// <summary>The merchant the cookie belongs to; a cookie copied to another merchant's name is not honoured.</summary>
    [JsonPropertyName("mid")] public required string MerchantId { get; init; }

    [JsonPropertyName("m")] public PreferredMode Mode { get; init; } = PreferredMode.Ask;

    /// <summary>E.164 phone number.</summary>
    [JsonPropertyName("ph")] public string? Phone { get; init; }

    /// <summary>Quiet hours as <c>HH:mm-HH:mm</c> in <see cref="TimeZone"/>.</summary>
    [JsonPropertyName("qh")] public string? QuietHours { get; init; }

    [JsonPropertyName("tz")] public required string TimeZone { get; init; }

    [JsonPropertyName("lang")] public required string Language { get; init; }

    /// <summary>Consent to be phoned on <see cref="Phone"/>, when given and not withdrawn.</summary>
    [JsonPropertyName("c")] public CookieConsent? Consent { get; init; }

    /// <summary>Unix seconds after which the cookie is ignored.</summary>
    [JsonPropertyName("exp")] public long ExpiresAt { get; init; }

    /// <summary>The preferences this copy describes, for the domain's mode selection.</summary>
    public ShopperPreferences ToPreferences() => new(
        Mode,
        Phone,
        QuietHoursText.TryParse(QuietHours, out var quiet) ? quiet : null,
        TimeZone,
        Language,
        Consent is { } c ? new Consent(DateTimeOffset.FromUnixTimeSeconds(c.GivenAt), c.TextVersion, c.Origin) : null);
}

/// <summary>Consent as the cookie carries it: when (unix seconds), which wording, from which origin.</summary>
public sealed record CookieConsent(
    [property: JsonPropertyName("at")] long GivenAt,
    [property: JsonPropertyName("v")] string TextVersion,
    [property: JsonPropertyName("o")] string Origin);

/// <summary>Why a presented cookie was or was not honoured.</summary>
public enum CookieStatus
{
    Valid,
    Missing,
    Malformed,
    BadSignature,
    Expired,
    OtherMerchant,
}

/// <summary>The outcome of reading a cookie: the payload only when <see cref="Status"/> is <see cref="CookieStatus.Valid"/>.</summary>
public sealed record CookieRead(CookieStatus Status, PreferenceCookiePayload? Payload)
{
    public bool IsValid => Status == CookieStatus.Valid;
}

/// <summary>
/// The signed preference cookie <c>cc_prefs_{merchantId}</c>: <c>base64url(json) + "." + base64url(HMAC-SHA256(json part))</c>
/// with <see cref="PreferencesOptions.CookieSigningKey"/>. Verification is constant-time; a cookie that is malformed,
/// tampered with, expired or another merchant's is never trusted: callers treat the shopper as a fresh anonymous one.
/// Register as a singleton; thread-safe.
/// </summary>
public sealed class PreferenceCookie(IOptions<PreferencesOptions> options, TimeProvider time)
{
    public const string NamePrefix = "cc_prefs_";
    public const string CookiePath = "/api";

    /// <summary>Longer values are not ours: refused before any work is done on them.</summary>
    public const int MaxValueLength = 3072;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly byte[] key = options.Value.KeyBytes();
    private readonly TimeSpan lifetime = options.Value.CookieLifetime;
    private readonly bool? secure = options.Value.SecureCookie;

    public static string NameFor(string merchantId) => NamePrefix + merchantId;

    /// <summary>A payload for a new anonymous shopper with a fresh profile id.</summary>
    public PreferenceCookiePayload Anonymous(string merchantId, string language) => new()
    {
        ProfileId = ProfileIds.New(),
        MerchantId = merchantId,
        Mode = PreferredMode.Ask,
        TimeZone = "UTC",
        Language = language,
        ExpiresAt = ExpiryFromNow(),
    };

    /// <summary>The payload copying <paramref name="profile"/>, expiring one lifetime from now.</summary>
    public PreferenceCookiePayload For(ShopperProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var consent = profile.ActiveConsent();
        return new PreferenceCookiePayload
        {
            ProfileId = profile.ProfileId,
            MerchantId = profile.MerchantId,
            Mode = profile.Mode,
            Phone = profile.PhoneE164,
            QuietHours = profile.QuietHours?.ToCompact(),
            TimeZone = profile.TimeZone,
            Language = profile.Language,
            Consent = consent is null ? null : new CookieConsent(consent.GivenAt.ToUnixTimeSeconds(), consent.TextVersion, consent.Origin),
            ExpiresAt = ExpiryFromNow(),
        };
    }

    /// <summary>Signs <paramref name="payload"/> as it is (its <see cref="PreferenceCookiePayload.ExpiresAt"/> included).</summary>
    public string Protect(PreferenceCookiePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload, Json));
        return body + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(body)));
    }

    /// <summary>Verifies a cookie value for <paramref name="merchantId"/>.</summary>
    public CookieRead Unprotect(string merchantId, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new CookieRead(CookieStatus.Missing, null);
        }

        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (value.Length > MaxValueLength || dot <= 0 || dot != value.LastIndexOf('.')
            || !Base64Url.IsValid(value.AsSpan(0, dot)) || !Base64Url.IsValid(value.AsSpan(dot + 1)))
        {
            return new CookieRead(CookieStatus.Malformed, null);
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(value[..dot]));
        var presented = Base64Url.DecodeFromChars(value.AsSpan(dot + 1));
        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return new CookieRead(CookieStatus.BadSignature, null);
        }

        PreferenceCookiePayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize<PreferenceCookiePayload>(Base64Url.DecodeFromChars(value.AsSpan(0, dot)), Json);
        }
        catch (JsonException)
        {
            // Signed by us yet unreadable: an older format. Not trusted either way.
            return new CookieRead(CookieStatus.Malformed, null);
        }

        if (payload is null || !ProfileIds.IsWellFormed(payload.ProfileId))
        {
            return new CookieRead(CookieStatus.Malformed, null);
        }

        if (!string.Equals(payload.MerchantId, merchantId, StringComparison.Ordinal))
        {
            return new CookieRead(CookieStatus.OtherMerchant, null);
        }

        return payload.ExpiresAt <= time.GetUtcNow().ToUnixTimeSeconds()
            ? new CookieRead(CookieStatus.Expired, null)
            : new CookieRead(CookieStatus.Valid, payload);
    }

    /// <summary>Reads and verifies the merchant's cookie from the request.</summary>
    public CookieRead Read(HttpRequest request, string merchantId)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Unprotect(merchantId, request.Cookies[NameFor(merchantId)]);
    }

    /// <summary>Sets the cookie: Path /api, HttpOnly, SameSite=None;Secure over https, SameSite=Lax over http.</summary>
    public void Write(HttpResponse response, PreferenceCookiePayload payload)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(payload);
        response.Cookies.Append(NameFor(payload.MerchantId), Protect(payload), Attributes(response.HttpContext.Request, lifetime));
    }

    /// <summary>Tells the browser to drop the cookie (right to erasure).</summary>
    public void Expire(HttpResponse response, string merchantId)
    {
        ArgumentNullException.ThrowIfNull(response);
        var attributes = Attributes(response.HttpContext.Request, TimeSpan.Zero);
        attributes.Expires = DateTimeOffset.UnixEpoch;
        response.Cookies.Append(NameFor(merchantId), "", attributes);
    }

    private CookieOptions Attributes(HttpRequest request, TimeSpan maxAge)
    {
        // Behind the Functions host the app itself is reached over http; the forwarded scheme says what the browser used.
        var https = secure ?? (request.IsHttps
            || string.Equals(request.Headers["X-Forwarded-Proto"].ToString(), "https", StringComparison.OrdinalIgnoreCase));
        return new CookieOptions
        {
            Path = CookiePath,
            HttpOnly = true,
            Secure = https,
            // The widget runs on the storefront's origin, so the cookie is third-party there: only SameSite=None
            // (which browsers accept only with Secure) lets it travel; plain-http local runs fall back to Lax.
            SameSite = https ? SameSiteMode.None : SameSiteMode.Lax,
            MaxAge = maxAge,
            IsEssential = true,
        };
    }

    private long ExpiryFromNow() => (time.GetUtcNow() + lifetime).ToUnixTimeSeconds();
}

/// <summary>Profile ids: <c>pr_</c> and 22 url-safe random characters (132 bits).</summary>
public static class ProfileIds
{
    private const string UrlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string New() => "pr_" + RandomNumberGenerator.GetString(UrlSafe, 22);

    public static bool IsWellFormed(string? id) =>
        id is { Length: 25 } && id.StartsWith("pr_", StringComparison.Ordinal) && id.AsSpan(3).IndexOfAnyExcept(UrlSafe) < 0;
}
