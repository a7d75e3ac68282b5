using System.IO.Compression;
using System.Security.Cryptography;
using CartCall.Functions.Hosting;
using Microsoft.Net.Http.Headers;

namespace CartCall.Functions.Features.Widget;

/// <summary>
/// One script the app serves to browsers, loaded once per instance: from an embedded resource (the widget's own files)
/// or from a file beside the app (the Calling SDK bundle, too large to embed). Answers with a content-hash ETag (the
/// same on every instance of one deployment), revalidation (304) and, when the browser takes it, gzip made once here:
/// the SDK bundle is 7 MB raw and 1.8 MB gzipped, and the Functions front end does not compress.
/// </summary>
public sealed class WidgetScript
{
    public const string ContentType = "application/javascript; charset=utf-8";
    public const string CacheControl = "public, max-age=300";

    private readonly string what;
    private readonly Lazy<Loaded?> loaded;

    private WidgetScript(string what, Func<byte[]?> read)
    {
        this.what = what;
        loaded = new Lazy<Loaded?>(() => read() is { } bytes ? Loaded.From(bytes) : null);
    }

    public static WidgetScript Embedded(string resourceName) => new($"embedded resource {resourceName}", () =>
    {
        using var stream = typeof(WidgetScript).Assembly.GetManifestResourceStream(resourceName);
        if (stream is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>A file under the app's folder (where the build copies it), e.g. <c>widget/cartcall-calling-acs.js</c>.</summary>
    public static WidgetScript File(string relativePath)
    {
        var path = Path.Combine(Path.GetDirectoryName(typeof(WidgetScript).Assembly.Location) ?? AppContext.BaseDirectory, relativePath);
        return new($"file {relativePath} beside the app", () => System.IO.File.Exists(path) ? System.IO.File.ReadAllBytes(path) : null);
    }

    public IResult Serve(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (loaded.Value is not { } script)
        {
            return Problems.NotFound($"This build has no such script ({what}).");
        }

        var response = request.HttpContext.Response;
        var headers = response.GetTypedHeaders();
        headers.ETag = script.ETag;
        response.Headers.CacheControl = CacheControl;
        response.Headers.Vary = "Accept-Encoding";
        var ifNoneMatch = request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(script.ETag, useStrongComparison: false)))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        var acceptsGzip = request.GetTypedHeaders().AcceptEncoding.Any(e => e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) && e.Quality is not 0);
        if (acceptsGzip && script.Gzipped.Value is { } gzipped)
        {
            response.Headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(gzipped, ContentType);
        }

        return TypedResults.Bytes(script.Raw, ContentType);
    }

    private sealed record Loaded(byte[] Raw, EntityTagHeaderValue ETag, Lazy<byte[]?> Gzipped)
    {
        public static Loaded From(byte[] raw) => new(
            raw,
            new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(raw)[..16]) + "\""),
            new Lazy<byte[]?>(() => Gzip(raw)));

        // Small scripts are sent as they are: gzip would save little and the widget's own size is budgeted raw.
        private static byte[]? Gzip(byte[] raw)
        {
            if (raw.Length < 64 * 1024)
            {
                return null;
            }

            using var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(raw);
            }

            return output.ToArray();
        }
    }
}
