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
}
