using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Features.Preferences;

/// <summary>How the preference cookie is signed and how long it lives. Bound from <c>CartCall:Preferences</c>.</summary>
public sealed class PreferencesOptions : IValidatableObject
{
    public const string Section = "CartCall:Preferences";
    public const int MinKeyBytes = 32;

    /// <summary>Base64 HMAC-SHA256 key for the cookie, at least 32 bytes. Rotating it signs every shopper out to a fresh anonymous profile.</summary>
    public string CookieSigningKey { get; set; } = "";

    /// <summary>Max-Age of the cookie and the expiry signed into it.</summary>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromDays(180);

    /// <summary>Mark the cookie Secure (with SameSite=None). Null: when the request came over https (or X-Forwarded-Proto says so).</summary>
    public bool? SecureCookie { get; set; }

    /// <summary>The largest preferences body accepted; they are a few hundred bytes.</summary>
    public int MaxBodyBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// New profiles one client address may have stored per <see cref="AnonymousProfileWindow"/> for one merchant. A
    /// profile is created by an unauthenticated request (the shopper has only a cookie), so creation is limited.
    /// </summary>
    public int AnonymousProfilesPerAddress { get; set; } = 20;

    /// <summary>New profiles one merchant may have stored per <see cref="AnonymousProfileWindow"/>, from all addresses together.</summary>
    public int AnonymousProfilesPerMerchant { get; set; } = 2_000;

    public TimeSpan AnonymousProfileWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A stored profile that nobody ever came back for (its cookie never presented again, no call made) is erased this
    /// long after it was created.
    /// </summary>
    public TimeSpan UnusedProfileLifetime { get; set; } = TimeSpan.FromDays(7);

    internal byte[] KeyBytes() => Convert.FromBase64String(CookieSigningKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        byte[]? key = null;
        try
        {
            key = string.IsNullOrWhiteSpace(CookieSigningKey) ? null : KeyBytes();
        }
        catch (FormatException)
        {
        }

        if (key is null || key.Length < MinKeyBytes)
        {
            yield return new ValidationResult(
                $"{Section}:CookieSigningKey must be base64 of at least {MinKeyBytes} random bytes (e.g. openssl rand -base64 32).",
                [nameof(CookieSigningKey)]);
        }

        if (CookieLifetime < TimeSpan.FromMinutes(1) || CookieLifetime > TimeSpan.FromDays(400))
        {
            // Browsers cap cookie lifetimes at 400 days.
            yield return new ValidationResult($"{Section}:CookieLifetime must be between 1 minute and 400 days.", [nameof(CookieLifetime)]);
        }

        if (AnonymousProfilesPerAddress < 1 || AnonymousProfilesPerMerchant < AnonymousProfilesPerAddress)
        {
            yield return new ValidationResult(
                $"{Section}:AnonymousProfilesPerAddress must be at least 1 and AnonymousProfilesPerMerchant at least as much.",
                [nameof(AnonymousProfilesPerAddress), nameof(AnonymousProfilesPerMerchant)]);
        }

        if (AnonymousProfileWindow < TimeSpan.FromSeconds(1) || AnonymousProfileWindow > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult($"{Section}:AnonymousProfileWindow must be between 1 second and 1 day.", [nameof(AnonymousProfileWindow)]);
        }

        if (UnusedProfileLifetime < TimeSpan.FromHours(1) || UnusedProfileLifetime > TimeSpan.FromDays(400))
        {
            yield return new ValidationResult($"{Section}:UnusedProfileLifetime must be between 1 hour and 400 days.", [nameof(UnusedProfileLifetime)]);
        }

        if (MaxBodyBytes is < 256 or > 64 * 1024)
        {
            yield return new ValidationResult($"{Section}:MaxBodyBytes must be between 256 and 65536.", [nameof(MaxBodyBytes)]);
        }
    }
}
