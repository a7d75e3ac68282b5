using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CartCall.Functions.Adapters.WebPubSub;

/// <summary>
/// HS256 JWTs in Web PubSub's shape (key = UTF-8 bytes of the access key). Hand-rolled rather than
/// System.IdentityModel: one HMAC and a few JSON fields, without loading the token handler stack at cold start.
/// </summary>
internal static class WebPubSubJwt
{
    private static readonly string EncodedHeader = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);

    public static string Sign(
        byte[] key,
        string audience,
        DateTimeOffset now,
        TimeSpan lifetime,
        string? subject = null,
        IEnumerable<string>? roles = null,
        IEnumerable<string>? groups = null)
    {
        using var payload = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now.ToUnixTimeSeconds());
            writer.WriteNumber("nbf", now.ToUnixTimeSeconds());
            writer.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            if (!string.IsNullOrEmpty(subject))
            {
                writer.WriteString("sub", subject);
            }

            WriteArray(writer, "role", roles);
            WriteArray(writer, "webpubsub.group", groups);
            writer.WriteEndObject();
        }

        var signingInput = EncodedHeader + "." + Base64Url.EncodeToString(payload.GetBuffer().AsSpan(0, (int)payload.Length));
        var signature = HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string>? values)
    {
        if (values is null)
        {
            return;
        }

        var started = false;
        foreach (var value in values)
        {
            if (!started)
            {
                writer.WriteStartArray(name);
                started = true;
            }

            writer.WriteStringValue(value);
        }

        if (started)
        {
            writer.WriteEndArray();
        }
    }
}
