using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Hosting;

/// <summary>
/// The functions the local host serves are exactly those in the generated <c>functions.metadata</c>, the file the
/// Functions host itself reads in Azure: same names, same triggers, same routes, methods and queues, both ways.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FunctionsMetadataTests(AppFixture app)
{
    private static readonly string MetadataPath = Path.Combine(RepoPaths.FunctionsAppOutput, "functions.metadata");

    private static List<(string Name, string Trigger, string Where)> FromFile()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(MetadataPath));
        return [.. file.RootElement.EnumerateArray().Select(f =>
        {
            var trigger = f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            return (f.GetProperty("name").GetString()!, trigger.GetProperty("type").GetString()!, Where(JsonNode.Parse(trigger.GetRawText())!.AsObject()));
        })];
    }

    private static string Where(JsonObject trigger) =>
        trigger["route"] is { } route
            ? $"{string.Join(",", trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToUpperInvariant()).Order())} {route.GetValue<string>()}"
            : trigger["queueName"]?.GetValue<string>() ?? trigger["schedule"]?.GetValue<string>() ?? "";

    [Fact]
    public void EveryFunctionInFunctionsMetadata_IsServed_AndNothingElse()
    {
        var declared = FromFile().OrderBy(f => f.Name).ToList();
        var served = app.App.Host.Functions.Select(f => (f.Name, f.Trigger.Type, Where(f.Trigger.Raw))).OrderBy(f => f.Name).ToList();

        Assert.True(declared.Count > 20, $"functions.metadata at {MetadataPath} lists only {declared.Count} functions");
        Assert.Equal(declared, served);
    }

    [Fact]
    public async Task EveryHttpFunction_IsReachedAtItsRoute_NotAnsweredByTheHostsFallback()
    {
        using var client = app.CreateClient(handleCookies: false);
        foreach (var function in app.App.Host.Functions.Where(f => f.Kind == TriggerKind.Http))
        {
            var route = function.Trigger.Text("route")!;
            var path = "/api/" + System.Text.RegularExpressions.Regex.Replace(route, @"\{[^}]+\}", "probe-id");
            var method = function.Trigger.Texts("methods")!.First(m => m != "options").ToUpperInvariant();
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT")
            {
                request.Content = AppFixture.Json("{}");
            }

            using var response = await client.SendAsync(request);

            // The host's own 404 for an unknown route has no body; every function answers with content or a status of its own.
            var answeredByFunction = response.StatusCode != HttpStatusCode.NotFound || response.Content.Headers.ContentType is not null;
            Assert.True(answeredByFunction, $"{function.Name} ({method} {path}) was not reached: {(int)response.StatusCode}");
        }
    }
}
