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

        if (MaxBodyBytes is < 256 or > 64 * 1024)
        {
            yield return new ValidationResult($"{Section}:MaxBodyBytes must be between 256 and 65536.", [nameof(MaxBodyBytes)]);
        }
    }
}
