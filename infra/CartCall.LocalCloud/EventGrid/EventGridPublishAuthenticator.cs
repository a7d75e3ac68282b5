using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>Checks the publisher's <c>aeg-sas-key</c> or <c>aeg-sas-token</c>, as the topic does.</summary>
internal sealed class EventGridPublishAuthenticator(string topicKey, TimeProvider timeProvider)
{
    public const string KeyHeader = "aeg-sas-key";
    public const string TokenHeader = "aeg-sas-token";

    private static readonly CultureInfo UsCulture = CultureInfo.GetCultureInfo("en-US");
    private readonly byte[] _keyText = Encoding.UTF8.GetBytes(topicKey);
    private readonly byte[] _keyBytes = Convert.FromBase64String(topicKey);

    /// <summary>Null when the request may publish; otherwise why not.</summary>
    public string? Check(IHeaderDictionary headers)
    {
        if (headers.TryGetValue(KeyHeader, out var key) && key.Count > 0)
        {
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key.ToString()), _keyText)
                ? null
                : "The aeg-sas-key is not valid for this topic.";
        }

        if (headers.TryGetValue(TokenHeader, out var token) && token.Count > 0)
        {
            return CheckToken(token.ToString());
        }

        return headers.ContainsKey("Authorization")
            ? "Only aeg-sas-key and aeg-sas-token are accepted by the local topic; Entra ID bearer tokens are not."
            : "The request carries no aeg-sas-key or aeg-sas-token header.";
    }

    // Format, from Microsoft's clients: r=<url-encoded resource>&e=<url-encoded en-US time>&s=<url-encoded
    // base64 HMAC-SHA256 of "r=...&e=..." keyed with the base64-decoded topic key>.
    private string? CheckToken(string token)
    {
        var signatureAt = token.LastIndexOf("&s=", StringComparison.Ordinal);
        if (signatureAt < 0)
        {
            return "The aeg-sas-token has no signature (s=).";
        }

        var unsigned = token[..signatureAt];
        var parts = token.Split('&')
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => WebUtility.UrlDecode(g.First()[1]));
        if (!parts.TryGetValue("r", out var resource) || !parts.TryGetValue("e", out var expires)
            || !parts.TryGetValue("s", out var signature))
        {
            return "The aeg-sas-token must have r=, e= and s= parts.";
        }

        var expected = HMACSHA256.HashData(_keyBytes, Encoding.UTF8.GetBytes(unsigned));
        byte[] given;
        try
        {
            given = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return "The aeg-sas-token signature is not base64.";
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return "The aeg-sas-token signature does not match this topic's key.";
        }

        if (!Uri.TryCreate(resource, UriKind.Absolute, out var resourceUri)
            || !resourceUri.AbsolutePath.TrimEnd('/').EndsWith("/api/events", StringComparison.OrdinalIgnoreCase))
        {
            return "The aeg-sas-token resource (r=) is not this topic's /api/events endpoint.";
        }

        if (!DateTimeOffset.TryParse(expires, UsCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var expiresAt))
        {
            return "The aeg-sas-token expiry (e=) is not a date.";
        }

        return expiresAt <= timeProvider.GetUtcNow() ? "The aeg-sas-token has expired." : null;
    }
}
