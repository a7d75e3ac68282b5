using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>What a valid Web PubSub token says about its bearer.</summary>
internal sealed record WebPubSubTokenClaims(string? UserId, IReadOnlyList<string> Roles, IReadOnlyList<string> Groups);

/// <summary>
/// HS256 JWTs as Web PubSub uses them, signed with the UTF-8 bytes of the access key. Written by hand (not with
/// System.IdentityModel) so the stand-in checks the wire format itself and can say precisely what is wrong.
/// </summary>
internal static class StandInJwt
{
    public static bool TryValidate(
        string token,
        byte[] key,
        IReadOnlyCollection<string> audiences,
        DateTimeOffset now,
        TimeSpan clockSkew,
        out WebPubSubTokenClaims claims,
        out string error)
    {
        claims = new WebPubSubTokenClaims(null, [], []);
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            error = "The token is not a JWS compact serialization (header.payload.signature).";
            return false;
        }

        byte[] headerBytes, payloadBytes, signature;
        try
        {
            headerBytes = Base64Url.DecodeFromChars(parts[0]);
            payloadBytes = Base64Url.DecodeFromChars(parts[1]);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (FormatException)
        {
            error = "The token has a part that is not base64url.";
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("alg", out var alg)
                || alg.ValueKind != JsonValueKind.String
                || alg.GetString() != "HS256")
            {
                error = "The token's alg must be HS256.";
                return false;
            }
        }
        catch (JsonException)
        {
            error = "The token header is not JSON.";
            return false;
        }

        var expected = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            error = "The token signature does not match the access key.";
            return false;
        }

        try
        {
            using var payload = JsonDocument.Parse(payloadBytes);
            var root = payload.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The token payload is not a JSON object.";
                return false;
            }

            if (!root.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number)
            {
                error = "The token has no exp claim.";
                return false;
            }

            if (DateTimeOffset.FromUnixTimeSeconds((long)exp.GetDouble()) + clockSkew < now)
            {
                error = "The token has expired.";
                return false;
            }

            if (root.TryGetProperty("nbf", out var nbf) && nbf.ValueKind == JsonValueKind.Number
                && DateTimeOffset.FromUnixTimeSeconds((long)nbf.GetDouble()) - clockSkew > now)
            {
                error = "The token is not valid yet (nbf).";
                return false;
            }

            var tokenAudiences = ReadStrings(root, "aud");
            if (tokenAudiences.Count == 0)
            {
                error = "The token has no aud claim.";
                return false;
            }

            if (!tokenAudiences.Any(a => audiences.Any(e => SameAudience(a, e))))
            {
                error = $"The token audience '{string.Join(",", tokenAudiences)}' does not match '{string.Join("' or '", audiences)}'.";
                return false;
            }

            var sub = root.TryGetProperty("sub", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            claims = new WebPubSubTokenClaims(
                string.IsNullOrEmpty(sub) ? null : sub,
                ReadStrings(root, "role"),
                ReadStrings(root, "webpubsub.group"));
            error = "";
            return true;
        }
        catch (JsonException)
        {
            error = "The token payload is not JSON.";
            return false;
        }
    }

    public static string Create(
        byte[] key,
        string audience,
        DateTimeOffset now,
        TimeSpan lifetime,
        string? userId,
        IEnumerable<string> roles,
        IEnumerable<string> groups)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("nbf", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            if (!string.IsNullOrEmpty(userId))
            {
                writer.WriteString("sub", userId);
            }

            WriteArray(writer, "role", roles);
            WriteArray(writer, "webpubsub.group", groups);
            writer.WriteEndObject();
        }

        var signingInput = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8) + "." + Base64Url.EncodeToString(buffer.ToArray());
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in list)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    // Claims may be a single string or an array of strings (jsonwebtoken and the .NET SDK write either).
    private static List<string> ReadStrings(JsonElement root, string name)
    {
        var result = new List<string>();
        if (!root.TryGetProperty(name, out var value))
        {
            return result;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            result.Add(value.GetString()!);
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            result.AddRange(value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!));
        }

        return result;
    }

    private static bool SameAudience(string actual, string expected) =>
        string.Equals(actual.TrimEnd('/'), expected.TrimEnd('/'), StringComparison.Ordinal);
}
