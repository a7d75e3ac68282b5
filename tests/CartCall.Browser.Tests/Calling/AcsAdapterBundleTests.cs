using System.Collections.Concurrent;
using System.Text.Json;
using CartCall.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CartCall.Browser.Tests.Calling;

/// <summary>
/// The `acs` adapter's bundle (the pinned Calling SDK, bundled by esbuild at build time) in Chromium, offline: from a
/// <c>localhost</c> origin (the SDK refuses 127.0.0.1), with the SDK's remote-configuration request answered locally
/// and every other request off this machine refused. No ACS resource exists here, so no call is placed; this proves
/// the bundle loads and the SDK works in this browser: a CallClient, the (fake) microphones, the environment info.
/// </summary>
[Collection(CallingCollection.Name)]
public sealed class AcsAdapterBundleTests(CallingRig rig, ITestOutputHelper output)
{
    [Fact]
    public async Task Bundle_AtALocalhostOrigin_CreatesACallClient_ListsTheFakeMicrophones_AndReadsTheEnvironment_WithoutNetwork()
    {
        var bundle = Path.Combine(RepoPaths.Root, "functions", "widget", "dist", "cartcall-calling-acs.js");
        Assert.True(File.Exists(bundle), $"{bundle} is missing: building CartCall.Functions runs widget.targets (npm ci, esbuild).");

        var page = await CallingRig.NewPageAsync(rig.ShopperBrowser);
        var remoteConfig = 0;
        var refused = new ConcurrentQueue<string>();
        await page.Context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Host is "localhost" or "127.0.0.1")
            {
                await route.ContinueAsync();
            }
            else if (url.Host.EndsWith("ecs.communication.microsoft.com", StringComparison.OrdinalIgnoreCase))
            {
                // The SDK's remote configuration (ECS): an empty configuration, answered here. The SDK insists on an
                // ETag and an Expires header it can read (CORS-exposed); without them it retries three times over ~7 s.
                Interlocked.Increment(ref remoteConfig);
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {route.Request.Method} {route.Request.Url}");
                var cors = new Dictionary<string, string>
                {
                    ["Access-Control-Allow-Origin"] = rig.App.Url.GetLeftPart(UriPartial.Authority),
                    ["Access-Control-Allow-Headers"] = "*",
                    ["Access-Control-Allow-Methods"] = "GET, OPTIONS",
                    ["Access-Control-Expose-Headers"] = "ETag, Expires",
                    ["ETag"] = "\"cartcall-local\"",
                    ["Expires"] = DateTimeOffset.UtcNow.AddHours(1).ToString("r", System.Globalization.CultureInfo.InvariantCulture),
                };
                await route.FulfillAsync(route.Request.Method == "OPTIONS"
                    ? new RouteFulfillOptions { Status = 204, Headers = cors }
                    : new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = "{}", Headers = cors });
            }
            else
            {
                refused.Enqueue(route.Request.Url);
                await route.AbortAsync();
            }
        });

        await page.GotoAsync(new Uri(rig.App.Url, "acs-probe").AbsoluteUri);
        Assert.StartsWith("http://localhost:", page.Url, StringComparison.Ordinal);
        Assert.True(await page.EvaluateAsync<bool>("() => typeof window.CartCallAcs?.createAdapter === 'function'"));

        var started = DateTime.UtcNow;
        output.WriteLine($"{started:HH:mm:ss.fff} probe");
        var probe = await page.EvaluateAsync<JsonElement>("() => window.CartCallAcs.probe()");
        output.WriteLine($"probe took {(DateTime.UtcNow - started).TotalMilliseconds:0} ms: {probe}");
        Assert.True(probe.GetProperty("audioPermission").GetBoolean());
        var microphones = probe.GetProperty("microphones").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.NotEmpty(microphones);
        var environment = probe.GetProperty("environment");
        Assert.True(environment.TryGetProperty("isSupportedPlatform", out _), environment.ToString());
        Assert.True(environment.TryGetProperty("isSupportedBrowser", out _), environment.ToString());
        Assert.True(remoteConfig == 1, $"the SDK asked for its remote configuration {remoteConfig} times; once means it took the local answer");
        Assert.Empty(refused);
        await page.Context.CloseAsync();
    }
}
