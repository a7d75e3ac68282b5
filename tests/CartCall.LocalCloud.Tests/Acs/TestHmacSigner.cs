using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>Signs raw HttpClient requests the ACS way, for probing the stand-in below the SDKs.</summary>
internal sealed class TestHmacSigner(string accessKey)
{
    private readonly byte[] _key = Convert.FromBase64String(accessKey);

    public HttpRequestMessage Sign(HttpMethod method, Uri uri, byte[]? body = null)
    {
        body ??= [];
        var date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        var hash = Convert.ToBase64String(SHA256.HashData(body));
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var toSign = $"{method.Method}\n{uri.PathAndQuery}\n{date};{host};{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(toSign)));
        var request = new HttpRequestMessage(method, uri);
        if (body.Length > 0) request.Content = new ByteArrayContent(body) { Headers = { { "Content-Type", "application/json" } } };
        request.Headers.TryAddWithoutValidation("x-ms-date", date);
        request.Headers.TryAddWithoutValidation("x-ms-content-sha256", hash);
        request.Headers.TryAddWithoutValidation("Authorization", $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
        return request;
    }
}
