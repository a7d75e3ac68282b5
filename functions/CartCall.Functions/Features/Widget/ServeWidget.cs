using CartCall.Functions.Features.OpenApi;
using System.Security.Cryptography;
using CartCall.Functions.Hosting;
using Microsoft.Net.Http.Headers;

namespace CartCall.Functions.Features.Widget;

/// <summary>
/// <c>GET /api/widget.js</c>: the storefront widget, embedded in the app from functions/widget/cartcall.js.
/// Cached briefly by browsers and CDNs (5 minutes, so a fix reaches shops quickly) and revalidated by ETag.
/// </summary>
public sealed class ServeWidget
{
    public const string ResourceName = "widget/cartcall.js";
    public const string ContentType = "application/javascript; charset=utf-8";
    public const string CacheControl = "public, max-age=300";

    private static readonly Lazy<(byte[] Script, EntityTagHeaderValue ETag)?> Script = new(Load);

    [Function(nameof(ServeWidget))]
    [ApiTag("Widget")]
    [Response(200, null, "application/javascript")]
    [Response(304)]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget.js")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Script.Value is not { } script)
        {
            return Problems.NotFound($"This build has no widget (embedded resource {ResourceName}).");
        }

        var headers = request.HttpContext.Response.GetTypedHeaders();
        headers.ETag = script.ETag;
        headers.Headers.CacheControl = CacheControl;
        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(script.ETag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(script.Script, ContentType);
    }

    private static (byte[], EntityTagHeaderValue)? Load()
    {
        using var stream = typeof(ServeWidget).Assembly.GetManifestResourceStream(ResourceName);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        // A content hash: every instance and every deployment of the same script answers the same ETag.
        return (bytes, new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(bytes)[..16]) + "\""));
    }
}
