using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;

namespace CartCall.Functions.Features.Preferences;

/// <summary>Which language to speak to a shopper in: their saved preference, else the browser's Accept-Language.</summary>
public static partial class ShopperLanguage
{
    public const string Default = "en";

    /// <summary>Languages CartCall has offer text in.</summary>
    public static readonly IReadOnlyList<string> Supported = ["en", "de", "fr", "es"];

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}$")]
    private static partial Regex TagPattern();

    /// <summary>A plausible BCP 47 tag (en, en-GB, zh-Hant-TW).</summary>
    public static bool IsTag(string? tag) => tag is { Length: <= 35 } && TagPattern().IsMatch(tag);

    /// <summary>The supported language a tag falls back to (de-AT → de), or null.</summary>
    public static string? Supporting(string? tag)
    {
        if (!IsTag(tag))
        {
            return null;
        }

        var primary = tag!.Split('-')[0].ToLowerInvariant();
        return Supported.Contains(primary) ? primary : null;
    }

    /// <summary>The saved language if supported, else the best supported one the browser accepts, else English.</summary>
    public static string Resolve(HttpRequest request, string? saved)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Supporting(saved) is { } fromPreference)
        {
            return fromPreference;
        }

        return FromAcceptLanguage(request) ?? Default;
    }

    /// <summary>The highest-q supported language in Accept-Language, or null.</summary>
    public static string? FromAcceptLanguage(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptLanguage, out var accepted))
        {
            return null;
        }

        return accepted
            .Where(a => (a.Quality ?? 1) > 0)
            .OrderByDescending(a => a.Quality ?? 1)
            .Select(a => Supporting(a.Value.Value))
            .FirstOrDefault(l => l is not null);
    }
}
