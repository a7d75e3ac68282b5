using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Hosting;
using CartCall.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Hosting;

/// <summary>The function.json folders and the routes the program serves must agree, both ways.</summary>
[Collection(AppCollection.Name)]
public sealed class FunctionDefinitionsTests(AppFixture app)
{
    private static readonly string DefinitionsDir = Path.Combine(RepoPaths.Root, "functions", "Definitions");

    private static IEnumerable<(string Name, JsonObject Trigger)> Definitions() =>
        Directory.GetDirectories(DefinitionsDir).Order(StringComparer.Ordinal).Select(dir =>
        {
            var doc = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "function.json")))!.AsObject();
            var trigger = doc["bindings"]!.AsArray().Select(b => b!.AsObject()).Single(b => b["direction"]!.GetValue<string>() == "in" && b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));
            return (Path.GetFileName(dir), trigger);
        });

    private List<RouteEndpoint> Endpoints() =>
        app.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    // RawText can be the group prefix alone when a grouped route is empty; rebuild the path from its segments.
    private static string PathOf(RouteEndpoint e) => string.Join('/', e.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
    {
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart l => l.Content,
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart r => "{" + r.Name + "}",
        Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart sep => sep.Content,
        _ => "",
    }))));

    private static IReadOnlyList<string> Methods(RouteEndpoint e) =>
        e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];

    [Fact]
    public void EveryHttpFunctionJson_MapsToAServedRouteAndMethod()
    {
        var endpoints = Endpoints();
        var missing = new List<string>();
        foreach (var (name, trigger) in Definitions().Where(d => d.Trigger["type"]!.GetValue<string>() == "httpTrigger"))
        {
            var route = "api/" + trigger["route"]!.GetValue<string>();
            foreach (var method in trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToUpperInvariant()))
            {
                var served = endpoints.Any(e => PathOf(e) == route && Methods(e).Contains(method)
                    && e.Metadata.GetMetadata<FunctionMetadata>()?.Name == name);
                if (!served)
                {
                    missing.Add($"{name}: {method} /{route}");
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void EveryServedRoute_HasAFunctionJson()
    {
        var definitions = Definitions().ToDictionary(d => d.Name, d => d.Trigger);
        var orphans = new List<string>();
        foreach (var endpoint in Endpoints())
        {
            var pattern = PathOf(endpoint);
            var function = endpoint.Metadata.GetMetadata<FunctionMetadata>()?.Name;
            if (function is null || !definitions.TryGetValue(function, out var trigger))
            {
                orphans.Add($"{string.Join(',', Methods(endpoint))} /{pattern} (function {function ?? "unnamed"})");
                continue;
            }

            var type = trigger["type"]!.GetValue<string>();
            var expected = type == "httpTrigger" ? "api/" + trigger["route"]!.GetValue<string>() : function;
            var methods = type == "httpTrigger" ? trigger["methods"]!.AsArray().Select(m => m!.GetValue<string>().ToUpperInvariant()).ToList() : ["POST"];
            if (pattern != expected || !Methods(endpoint).All(methods.Contains))
            {
                orphans.Add($"{function}: serves {string.Join(',', Methods(endpoint))} /{pattern}, function.json says {string.Join(',', methods)} /{expected}");
            }
        }

        Assert.Empty(orphans);
    }

    [Fact]
    public void EveryNonHttpFunction_IsAQueueFunctionWithTheMessageBinding()
    {
        var queueFunctions = app.Factory.Services.GetServices<IQueueFunction>().ToDictionary(f => f.Name);
        foreach (var (name, trigger) in Definitions().Where(d => d.Trigger["type"]!.GetValue<string>() != "httpTrigger"))
        {
            Assert.Equal("queueTrigger", trigger["type"]!.GetValue<string>());
            Assert.Equal(QueueFunctionEndpoints.BindingName, trigger["name"]!.GetValue<string>());
            Assert.True(queueFunctions.TryGetValue(name, out var function), $"{name} has a function.json but no handler");
            Assert.Equal(function!.QueueName, trigger["queueName"]!.GetValue<string>());
        }

        Assert.All(queueFunctions.Keys, n => Assert.True(Directory.Exists(Path.Combine(DefinitionsDir, n)), $"{n} has no function.json"));
    }

    public static TheoryData<string> QueueFunctionNames() =>
        new(Directory.GetDirectories(DefinitionsDir).Select(d => (Path.GetFileName(d), File.ReadAllText(Path.Combine(d, "function.json"))))
            .Where(x => x.Item2.Contains("queueTrigger", StringComparison.Ordinal)).Select(x => x.Item1));

    [Theory]
    [MemberData(nameof(QueueFunctionNames))]
    public async Task QueueFunction_AcceptsTheCustomHandlerPayload_AndAnswersOutputsAndLogs(string name)
    {
        using var client = app.Factory.CreateClient();
        // The host's payload shape: Data.<binding> holds the queue item, Metadata the trigger metadata.
        var payload = new
        {
            Data = new Dictionary<string, object> { [QueueFunctionEndpoints.BindingName] = JsonSerializer.Serialize(new { merchantId = "nobody-here", sessionId = "s-1" }) },
            Metadata = new Dictionary<string, object>
            {
                ["DequeueCount"] = 1,
                ["Id"] = Guid.NewGuid().ToString(),
                ["InsertionTime"] = DateTimeOffset.UtcNow,
                ["sys"] = new { MethodName = name, UtcNow = DateTimeOffset.UtcNow, RandGuid = Guid.NewGuid() },
            },
        };
        var response = await client.PostAsJsonAsync("/" + name, payload);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.NotNull(body["outputs"] ?? body["Outputs"]);
        var logs = (body["logs"] ?? body["Logs"])!.AsArray();
        Assert.Contains(logs, l => l!.GetValue<string>().Contains(name, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(QueueFunctionNames))]
    public async Task QueueFunction_WithoutTheQueueItem_Answers400Problem(string name)
    {
        using var client = app.Factory.CreateClient();
        var response = await client.PostAsJsonAsync("/" + name, new { Data = new { }, Metadata = new { } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void HostJson_DeclaresTheCustomHandlerWithHttpForwarding()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!;
        var handler = host["customHandler"]!;
        Assert.Equal("app/CartCall.Functions", handler["description"]!["defaultExecutablePath"]!.GetValue<string>());
        Assert.True(handler["enableForwardingHttpRequest"]!.GetValue<bool>());
        Assert.Equal("api", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
    }
}
