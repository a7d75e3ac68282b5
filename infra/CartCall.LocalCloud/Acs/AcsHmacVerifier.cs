using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CartCall.LocalCloud.Acs;

/// <summary>Checks an ACS HMAC-SHA256 request signature the way the service does.</summary>
internal sealed class AcsHmacVerifier(byte[] key, TimeProvider time, TimeSpan maxSkew)
{
    /// <returns>null when the request is authentic, otherwise why not.</returns>
    public string? Verify(string method, string pathAndQuery, string? host, string? authorization, string? date, string? contentHash, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(authorization)) return "The Authorization header is missing.";
        const string scheme = "HMAC-SHA256 ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return "Authorization must use the HMAC-SHA256 scheme.";
        string? signedHeaders = null, signature = null;
        foreach (var part in authorization[scheme.Length..].Split('&'))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var name = part[..eq].Trim();
            if (name.Equals("SignedHeaders", StringComparison.OrdinalIgnoreCase)) signedHeaders = part[(eq + 1)..];
            else if (name.Equals("Signature", StringComparison.OrdinalIgnoreCase)) signature = part[(eq + 1)..];
        }

        if (signedHeaders is null || signature is null) return "Authorization needs SignedHeaders and Signature.";
        if (!signedHeaders.Equals("x-ms-date;host;x-ms-content-sha256", StringComparison.OrdinalIgnoreCase))
            return "SignedHeaders must be x-ms-date;host;x-ms-content-sha256.";
        if (string.IsNullOrEmpty(date)) return "The x-ms-date header is missing.";
        if (!DateTimeOffset.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sent))
            return "x-ms-date is not an RFC 1123 date.";
        if ((time.GetUtcNow() - sent).Duration() > maxSkew) return "x-ms-date is too far from the current time.";
        if (string.IsNullOrEmpty(contentHash)) return "The x-ms-content-sha256 header is missing.";
        var actualHash = Convert.ToBase64String(SHA256.HashData(body));
        if (!string.Equals(actualHash, contentHash, StringComparison.Ordinal)) return "x-ms-content-sha256 does not match the body.";
        if (string.IsNullOrEmpty(host)) return "The Host header is missing.";

        var stringToSign = $"{method.ToUpperInvariant()}\n{pathAndQuery}\n{date};{host};{contentHash}";
        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign));
        byte[] given;
        try { given = Convert.FromBase64String(signature); }
        catch (FormatException) { return "The signature is not base64."; }
        return CryptographicOperations.FixedTimeEquals(expected, given) ? null : "The request signature does not match.";
    }
}
