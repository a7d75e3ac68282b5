using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// Verifies storefront webhook signatures. Both schemes compare in constant time and accept either of the
/// merchant's two secrets, so a secret can be rotated without dropping deliveries.
/// </summary>
public static class WebhookSignatures
{
    public const string CartCallHeader = "CartCall-Signature";
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>CartCall-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c> (several v1 values allowed).
    /// Returns null when valid, else what is wrong.
    /// </summary>
    public static string? VerifyCartCall(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrWhiteSpace(header))
        {
            return $"The {CartCallHeader} header is missing.";
        }

        long? timestamp = null;
        var candidates = new List<byte[]>(2);
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var (key, value) = (part[..eq], part[(eq + 1)..]);
            if (key == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (key == "v1" && value.Length == 64 && TryHex(value, out var mac))
            {
                candidates.Add(mac);
            }
        }

        if (timestamp is null || candidates.Count == 0)
        {
            return $"The {CartCallHeader} header must be t=<unix seconds>,v1=<64 hex characters>.";
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp.Value, 0, 253402300799));
        if ((now - signedAt).Duration() > ReplayWindow)
        {
            return $"The signature timestamp is more than {ReplayWindow.TotalMinutes:0} minutes from the server's clock; sign each delivery afresh.";
        }

        var prefix = Encoding.UTF8.GetBytes(timestamp.Value.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));

        Span<byte> expected = stackalloc byte[32];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message, expected);
            foreach (var candidate in candidates)
            {
                if (CryptographicOperations.FixedTimeEquals(expected, candidate))
                {
                    return null;
                }
            }
        }

        return NoMatch;
    }

    /// <summary>The one answer for a signature that matches no secret, whether the merchant is unknown or the secret wrong.</summary>
    public const string NoMatch = "The signature does not match the body with any of the merchant's signing secrets.";

    /// <summary>As <see cref="NoMatch"/>, for Shopify's header.</summary>
    public const string ShopifyNoMatch = "The X-Shopify-Hmac-Sha256 signature does not match the body with any of the merchant's signing secrets.";

    /// <summary>Shopify: base64 HMAC-SHA256 of the raw body in <c>X-Shopify-Hmac-Sha256</c>.</summary>
    public static string? VerifyShopify(string? header, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrWhiteSpace(header))
        {
            return "The X-Shopify-Hmac-Sha256 header is missing.";
        }

        Span<byte> presented = stackalloc byte[32];
        if (!Convert.TryFromBase64String(header.Trim(), presented, out var written) || written != 32)
        {
            return "The X-Shopify-Hmac-Sha256 header is not a base64 HMAC-SHA256.";
        }

        Span<byte> expected = stackalloc byte[32];
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, presented))
            {
                return null;
            }
        }

        return ShopifyNoMatch;
    }

    /// <summary>Signs a body as a storefront would; used by the simulator, the demo store and tests.</summary>
    public static string SignCartCall(ReadOnlySpan<byte> body, string secret, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return SignCartCall(body, [secret], at);
    }

    /// <summary>
    /// Signs a body with each secret (one <c>v1</c> per secret). CartCall signs what it sends to merchants (hook
    /// webhooks) this way, with both secrets during a rotation, so <see cref="VerifyCartCall"/> on the merchant's side
    /// accepts it whichever secret the merchant holds: one scheme, one verifier, both directions.
    /// </summary>
    public static string SignCartCall(ReadOnlySpan<byte> body, IReadOnlyList<string> secrets, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            throw new ArgumentException("At least one secret is needed to sign.", nameof(secrets));
        }

        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var prefix = Encoding.UTF8.GetBytes(t + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        var header = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
        {
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message)));
        }

        return header.ToString();
    }

    private static bool TryHex(string value, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(value);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
