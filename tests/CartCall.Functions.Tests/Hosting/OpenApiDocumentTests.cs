using System.Net;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Hosting;

[Collection(AppCollection.Name)]
public sealed class OpenApiDocumentTests(AppFixture app)
{
    [Theory]
    [InlineData("/api/merchants/{merchantId}/preferences", "put")]
    [InlineData("/api/merchants/{merchantId}/preferences/export", "get")]
    [InlineData("/api/merchants/{merchantId}/browser-events", "post")]
    [InlineData("/api/merchants/{merchantId}/sessions/{sessionId}/push", "post")]
    [InlineData("/api/merchants/{merchantId}/sessions/{sessionId}/offers", "get")]
    [InlineData("/api/offers/{offerId}/dismiss", "post")]
    [InlineData("/api/widget.js", "get")]
    public async Task Document_DescribesTheBrowserFacingEndpoints(string path, string method)
    {
        using var client = app.CreateClient();

        var response = await client.GetAsync("/api/openapi.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["paths"]!;
        Assert.NotNull(paths[path]?[method]);
        // Preflights are plumbing, not API.
        Assert.Null(paths[path]?["options"]);
    }

    [Fact]
    public async Task Document_HasExactlyTheHttpTriggersRoutesAndMethods_BothWays()
    {
        using var client = app.CreateClient();
        var paths = JsonNode.Parse(await client.GetStringAsync("/api/openapi.json"))!["paths"]!.AsObject();
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}")).Order().ToList();

        var triggers = app.App.Host.Functions
            .Where(f => f.Kind == CartCall.LocalCloud.FunctionsHost.TriggerKind.Http)
            .SelectMany(f => f.Trigger.Texts("methods")!.Where(m => m != "options").Select(m => $"{m.ToUpperInvariant()} /api/{f.Trigger.Text("route")}"))
            .Order().ToList();

        Assert.Equal(triggers, documented);
    }
}
