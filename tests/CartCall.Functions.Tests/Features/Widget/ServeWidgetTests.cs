using System.Net;
using System.Net.Http.Headers;

namespace CartCall.Functions.Tests.Features.Widget;

[Collection(AppCollection.Name)]
public sealed class ServeWidgetTests(AppFixture app)
{
    [Fact]
    public async Task Get_ServesTheEmbeddedScriptAsJavaScriptWithCacheHeadersAndETag()
    {
        using var client = app.CreateClient();

        var response = await client.GetAsync("/api/widget.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal("public, max-age=300", response.Headers.CacheControl?.ToString());
        Assert.NotNull(response.Headers.ETag);
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(CartCall.Testing.RepoPaths.Root, "functions", "widget", "cartcall.js"));
        var served = await response.Content.ReadAsByteArrayAsync();
        // The build embeds the file as it was when built; it is the same file unless edited since.
        Assert.Equal(onDisk, served);
    }

    [Fact]
    public async Task Get_WithMatchingIfNoneMatch_Answers304WithoutBody()
    {
        using var client = app.CreateClient();
        var first = await client.GetAsync("/api/widget.js");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/widget.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
    }

    [Fact]
    public async Task Get_WithStaleIfNoneMatch_ServesTheScript()
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/widget.js");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/api/widget-calling.js", "cartcall-calling.js")]
    [InlineData("/api/agent-calling.js", "agent-calling.js")]
    public async Task CallingScripts_AreServedAsTheyAreInTheRepository(string path, string file)
    {
        using var client = app.CreateClient();

        var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(CartCall.Testing.RepoPaths.Root, "functions", "widget", file));
        Assert.Equal(onDisk, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task TheCallingSdkBundle_IsServedGzippedToBrowsersThatTakeGzip_AndRevalidates()
    {
        var built = Path.Combine(CartCall.Testing.RepoPaths.Root, "functions", "widget", "dist", "cartcall-calling-acs.js");
        Assert.True(File.Exists(built), "the build makes the Calling SDK bundle (widget.targets); it is missing");
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/widget-calling-acs.js");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        var gzipped = await response.Content.ReadAsByteArrayAsync();
        using var unzip = new System.IO.Compression.GZipStream(new MemoryStream(gzipped), System.IO.Compression.CompressionMode.Decompress);
        using var raw = new MemoryStream();
        await unzip.CopyToAsync(raw);
        Assert.Equal(await File.ReadAllBytesAsync(built), raw.ToArray());
        Assert.True(gzipped.Length < raw.Length / 2, $"gzip gave {gzipped.Length} of {raw.Length} bytes");

        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/widget-calling-acs.js");
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);
    }

    [Fact]
    public void BrowserCalling_IsTheAcsAdapterByDefault_AndTheStandInsSocketWhenLocal()
    {
        var acs = Microsoft.Extensions.Options.Options.Create(new CartCall.Functions.Adapters.Acs.AcsOptions { ConnectionString = "endpoint=https://acs.example.com/;accesskey=a2V5" });
        var byDefault = new CartCall.Functions.Features.Calls.BrowserCalling(Microsoft.Extensions.Options.Options.Create(new CartCall.Functions.Features.Calls.CallingOptions()), acs);
        Assert.Equal(new(CartCall.Functions.Features.Calls.CallingAdapter.Acs, null), byDefault.View);

        var local = new CartCall.Functions.Features.Calls.BrowserCalling(
            Microsoft.Extensions.Options.Options.Create(new CartCall.Functions.Features.Calls.CallingOptions { Adapter = CartCall.Functions.Features.Calls.CallingAdapter.Local }), acs);
        Assert.Equal("wss://acs.example.com/calling/signaling", local.View.SignalingUrl!.AbsoluteUri);
    }
}
