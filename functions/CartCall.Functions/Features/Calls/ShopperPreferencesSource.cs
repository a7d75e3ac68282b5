using System.Globalization;
using CartCall.Functions.Features.Preferences;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Calls;

/// <summary>Preferences as the accept body may carry them (the shape of PutPreferences' body).</summary>
public sealed class AcceptPreferences
{
    public PreferredMode? Mode { get; set; }

    public string? PhoneNumber { get; set; }

    public string? DefaultRegion { get; set; }

    public QuietHoursDto? QuietHours { get; set; }

    public string? TimeZone { get; set; }

    public string? Language { get; set; }

    public ConsentDto? Consent { get; set; }
}

public sealed class QuietHoursDto
{
    /// <summary>HH:mm (or HH:mm:ss) local time.</summary>
    public string Start { get; set; } = "";

    public string End { get; set; } = "";
}

public sealed class ConsentDto
{
    public string TextVersion { get; set; } = "";

    public bool Given { get; set; }
}

/// <summary>The shopper's preferences for an accept, or why they cannot be used.</summary>
public sealed record PreferencesRead(ShopperPreferences? Preferences, string? Problem);

/// <summary>Where the accept path gets the shopper's preferences.</summary>
public interface IShopperPreferencesSource
{
    Task<PreferencesRead> ReadAsync(HttpContext context, string merchantId, AcceptPreferences? fromBody, CancellationToken cancellationToken);
}

/// <summary>
/// The signed preference cookie (<c>cc_prefs_{merchantId}</c>) when it is present and valid; otherwise preferences
/// carried in the accept body (a shopper whose browser blocks third-party cookies), checked as PutPreferences checks them.
/// </summary>
public sealed class CookiePreferencesSource(PreferenceCookie cookie, BodyPreferencesSource body) : IShopperPreferencesSource
{
    public Task<PreferencesRead> ReadAsync(HttpContext context, string merchantId, AcceptPreferences? fromBody, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var read = cookie.Read(context.Request, merchantId);
        return read.IsValid
            ? Task.FromResult(new PreferencesRead(read.Payload!.ToPreferences(), null))
            : body.ReadAsync(context, merchantId, fromBody, cancellationToken);
    }
}

/// <summary>Preferences carried in the accept body, checked as PutPreferences checks them.</summary>
public sealed class BodyPreferencesSource(TimeProvider time) : IShopperPreferencesSource
{
    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss"];

    public Task<PreferencesRead> ReadAsync(HttpContext context, string merchantId, AcceptPreferences? fromBody, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(fromBody is null ? new PreferencesRead(null, null) : Read(fromBody, context.Request.Headers.Origin.FirstOrDefault()));
    }

    private PreferencesRead Read(AcceptPreferences p, string? origin)
    {
        string? e164 = null;
        if (!string.IsNullOrWhiteSpace(p.PhoneNumber))
        {
            var check = PhoneNumbers.Check(p.PhoneNumber, p.DefaultRegion);
            if (!check.Ok)
            {
                return new(null, "preferences.phoneNumber: " + check.Problem);
            }

            e164 = check.E164;
        }

        QuietHours? quiet = null;
        if (p.QuietHours is { } q)
        {
            if (!TimeOnly.TryParseExact(q.Start, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
                || !TimeOnly.TryParseExact(q.End, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
            {
                return new(null, "preferences.quietHours start and end must be HH:mm.");
            }

            quiet = new QuietHours(start, end);
        }

        var consent = p.Consent is { Given: true } c && !string.IsNullOrWhiteSpace(c.TextVersion)
            ? new Consent(time.GetUtcNow(), c.TextVersion, string.IsNullOrEmpty(origin) ? "accept" : origin)
            : null;
        var prefs = new ShopperPreferences(p.Mode ?? PreferredMode.Ask, e164, quiet, p.TimeZone ?? "UTC", p.Language ?? "en", consent);
        var problems = prefs.Validate();
        return problems.Count > 0 ? new(null, "preferences: " + string.Join(" ", problems)) : new(prefs, null);
    }
}
