using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>
/// Signs every attempt with the ACS access key (HMAC-SHA256 over method, path+query, date, host and body hash).
/// Sits per-retry so a retried request gets a fresh x-ms-date.
/// </summary>
public sealed class AcsHmacAuthenticationPolicy : HttpPipelinePolicy
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    public AcsHmacAuthenticationPolicy(string accessKeyBase64, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKeyBase64);
        _key = Convert.FromBase64String(accessKeyBase64);
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        Sign(message.Request, HashBody(message.Request, message.CancellationToken));
        ProcessNext(message, pipeline);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ArgumentNullException.ThrowIfNull(message);
        Sign(message.Request, await HashBodyAsync(message.Request, message.CancellationToken).ConfigureAwait(false));
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    /// <summary>The string-to-sign, shared with the stand-in's verifier so both sides agree byte for byte.</summary>
    public static string StringToSign(string method, string pathAndQuery, string date, string hostAndPort, string contentHash) =>
        $"{method.ToUpperInvariant()}\n{pathAndQuery}\n{date};{hostAndPort};{contentHash}";

    public static string ComputeSignature(byte[] key, string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>host[:port] as the service reads it: the port only when it is not the scheme's default.</summary>
    public static string HostAndPort(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private void Sign(Request request, string contentHash)
    {
        var uri = request.Uri.ToUri();
        var date = _time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        var stringToSign = StringToSign(request.Method.Method, uri.PathAndQuery, date, HostAndPort(uri), contentHash);
        request.Headers.SetValue("x-ms-date", date);
        request.Headers.SetValue("x-ms-content-sha256", contentHash);
        request.Headers.SetValue("Authorization",
            $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={ComputeSignature(_key, stringToSign)}");
    }

    private static string HashBody(Request request, CancellationToken ct)
    {
        if (request.Content is null) return EmptyHash;
        using var buffer = new MemoryStream();
        request.Content.WriteTo(buffer, ct);
        return Convert.ToBase64String(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    private static async ValueTask<string> HashBodyAsync(Request request, CancellationToken ct)
    {
        if (request.Content is null) return EmptyHash;
        using var buffer = new MemoryStream();
        await request.Content.WriteToAsync(buffer, ct).ConfigureAwait(false);
        return Convert.ToBase64String(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>Base64 SHA-256 of zero bytes: what an empty body is signed with.</summary>
    public static readonly string EmptyHash = Convert.ToBase64String(SHA256.HashData([]));
}
