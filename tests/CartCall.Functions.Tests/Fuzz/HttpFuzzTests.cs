using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CartCall.Functions.Tests.Fuzz;

/// <summary>
/// Random and mutated requests to every public HTTP function, on loopback against the local Functions host with the
/// stand-ins: no answer is a 5xx except a 503 for a dependency, every refusal a function gives is a problem-details 4xx
/// that says what is wrong, nothing is logged as unhandled, and health stays green all along. The seed is printed (and
/// can be set with <c>CARTCALL_FUZZ_SEED</c>; <c>CARTCALL_FUZZ_REQUESTS</c> sets the count): request <c>i</c> of a
/// seed is always the same request, so any failure can be replayed. Figures go to the test output and
/// <c>artifacts/bench/fuzz.md</c>; none is asserted.
/// </summary>
[Collection(HttpFuzzCollection.Name)]
public sealed class HttpFuzzTests(HttpFuzzFixture world, ITestOutputHelper output)
{
    private const int DefaultSeed = 20260915;
    private const int DefaultRequests = 20_000;
    private const int Concurrency = 16;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private IReadOnlyList<FuzzRoute> Routes() => world.App.Host.Functions
        .Where(f => f.Kind == TriggerKind.Http)
        .Select(f => new FuzzRoute(f.Name, f.Trigger.Text("route")!, [.. f.Trigger.Texts("methods")!.Select(m => m.ToUpperInvariant())]))
        .OrderBy(r => r.Function, StringComparer.Ordinal)
        .ToList();

    [Fact]
    [Trait("Category", "Fuzz")]
    public async Task RandomAndMutatedRequests_ToEveryHttpFunction_NeverGetA5xx_AndHealthStaysGreen()
    {
        var seed = Setting("CARTCALL_FUZZ_SEED", DefaultSeed);
        var count = Setting("CARTCALL_FUZZ_REQUESTS", DefaultRequests);
        output.WriteLine($"fuzz seed {seed}, {count} requests (replay: CARTCALL_FUZZ_SEED={seed})");
        Console.WriteLine($"fuzz seed {seed}, {count} requests");
        var routes = Routes();
        Assert.True(routes.Count >= 25, $"only {routes.Count} HTTP functions found");
        var factory = new FuzzRequestFactory(world, routes, seed);

        var handler = FunctionsApp.Handler(handleCookies: false);
        handler.MaxConnectionsPerServer = Concurrency * 2;
        handler.RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8;
        using var client = new HttpClient(handler) { BaseAddress = world.App.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var statuses = new ConcurrentDictionary<int, int>();
        var perFunction = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var notProblems = new ConcurrentQueue<string>();
        var unsendable = 0;

        using var done = new CancellationTokenSource();
        var health = MonitorHealthAsync(done.Token);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var spec = factory.Create(i);
            perFunction.AddOrUpdate(spec.Route.Function, 1, (_, n) => n + 1);
            using var request = spec.ToMessage();
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException
                || e is HttpRequestException { InnerException: FormatException or InvalidOperationException or ArgumentException })
            {
                // The client itself would not send it (a header it cannot encode): nothing reached the app.
                Interlocked.Increment(ref unsendable);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                failures.Enqueue($"{spec}: no answer ({e.GetType().Name}: {e.Message})");
                return;
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (status >= 500 && !(status == 503 && response.Headers.RetryAfter is not null))
                {
                    failures.Enqueue($"{spec}: {status} {Truncate(body)}");
                }
                else if (status is >= 400 and < 500 && AnsweredByFunction(response, request.RequestUri!) && !IsProblem(response, body))
                {
                    notProblems.Enqueue($"{spec}: {status} {response.Content.Headers.ContentType} {Truncate(body)}");
                }
            }
        });
        watch.Stop();
        await done.CancelAsync();
        var healthChecks = await health;

        var unhandled = world.Logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        foreach (var group in unhandled.GroupBy(e => $"{e.Category}: {e.Exception?.GetType().Name} {e.Exception?.Message} | {e.Message[..Math.Min(e.Message.Length, 90)]}").OrderByDescending(g => g.Count()).Take(15))
        {
            output.WriteLine($"error x{group.Count()}: {group.Key}");
            Console.WriteLine($"error x{group.Count()}: {group.Key}");
        }

        Report(seed, count, watch.Elapsed, statuses, perFunction, unsendable, healthChecks, failures.Count, notProblems.Count, unhandled.Count);

        Assert.True(failures.IsEmpty, $"{failures.Count} answers were 5xx (or none), seed {seed}:\n" + string.Join("\n", failures.Take(25)));
        Assert.True(notProblems.IsEmpty, $"{notProblems.Count} refusals were not problem details, seed {seed}:\n" + string.Join("\n", notProblems.Take(25)));
        Assert.True(unhandled.Count == 0, $"{unhandled.Count} errors logged, seed {seed}:\n" + string.Join("\n", unhandled.Take(10).Select(e => $"{e.Category}: {e.Message} {e.Exception?.GetType().Name}: {e.Exception?.Message}")));
        Assert.True(world.App.Host.Supervisor.Restarts == 0, $"the worker went away {world.App.Host.Supervisor.Restarts} times during the run, seed {seed}");
        Assert.All(healthChecks, h => Assert.True(h == HttpStatusCode.OK, $"health answered {h} during the run: {string.Join(" | ", unhealthy)}"));
        Assert.True(healthChecks.Count >= 5, $"health was checked only {healthChecks.Count} times");
        Assert.True(unsendable < count / 20, $"{unsendable} requests could not be sent at all");
        Assert.All(routes, r => Assert.True(perFunction.GetValueOrDefault(r.Function) >= count / routes.Count / 3, $"{r.Function} got only {perFunction.GetValueOrDefault(r.Function)} requests"));
    }

    /// <summary>
    /// The host answers a route or method it does not serve itself (404/405, no body), and the HTTP server refuses a path it
    /// cannot decode (400, no body: a NUL or bytes that are not UTF-8, as Kestrel and Azure's front ends do) before any
    /// function is chosen; every function answers with content.
    /// </summary>
    private static bool AnsweredByFunction(HttpResponseMessage response, Uri requested) =>
        response.Content.Headers.ContentType is not null
        || response.StatusCode switch
        {
            HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed => false,
            HttpStatusCode.BadRequest => !PathUndecodable(requested.AbsolutePath),
            _ => true,
        };

    private static bool PathUndecodable(string escapedPath)
    {
        var bytes = new List<byte>(escapedPath.Length);
        for (var i = 0; i < escapedPath.Length; i++)
        {
            if (escapedPath[i] == '%' && i + 2 < escapedPath.Length
                && byte.TryParse(escapedPath.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)escapedPath[i]);
            }
        }

        if (bytes.Contains(0))
        {
            return true;
        }

        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return false;
        }
        catch (DecoderFallbackException)
        {
            return true;
        }
    }

    private static bool IsProblem(HttpResponseMessage response, string body)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(body)?["detail"]?.GetValue<string>() is { Length: > 0 };
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> unhealthy = new();

    /// <summary>GETs /api/health every 200 ms until told to stop; the statuses it saw.</summary>
    private async Task<List<HttpStatusCode>> MonitorHealthAsync(CancellationToken stop)
    {
        var seen = new List<HttpStatusCode>();
        using var client = world.App.CreateClient(handleCookies: false);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync("/api/health", CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                var healthy = response.Content.Headers.ContentType?.MediaType == "application/json"
                    && JsonNode.Parse(body)?["status"]?.GetValue<string>() == "healthy";
                // An answer that is not the health document (the host's own 503, say) is recorded with its status.
                seen.Add(healthy ? response.StatusCode : response.IsSuccessStatusCode ? HttpStatusCode.ServiceUnavailable : response.StatusCode);
                if (!healthy)
                {
                    // Which probe failed, how slowly and why: the test's failure message carries it.
                    unhealthy.Enqueue($"{(int)response.StatusCode} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}: {(body.Length > 400 ? body[..400] : body)}");
                }
            }
            catch (HttpRequestException)
            {
                seen.Add(HttpStatusCode.InternalServerError);
            }

            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return seen;
    }

    private void Report(int seed, int count, TimeSpan elapsed, IDictionary<int, int> statuses, IDictionary<string, int> perFunction, int unsendable,
        IReadOnlyList<HttpStatusCode> health, int failures, int notProblems, int errors)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# HTTP fuzz ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Seed {seed}, {count:N0} requests to {perFunction.Count} HTTP functions, {Concurrency} at a time on loopback: " +
            $"{elapsed.TotalSeconds:0.0} s ({count / elapsed.TotalSeconds:0} requests/s). Health checked {health.Count} times: " +
            $"{health.Count(h => h == HttpStatusCode.OK)} green. Not sendable by the client: {unsendable}. 5xx other than 503: {failures}; " +
            $"4xx without problem details: {notProblems}; errors logged: {errors}.");
        text.AppendLine();
        text.AppendLine("| status | answers |");
        text.AppendLine("|---:|---:|");
        foreach (var (status, n) in statuses.OrderBy(s => s.Key))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {status} | {n:N0} |");
        }

        text.AppendLine();
        text.AppendLine("| function | requests |");
        text.AppendLine("|---|---:|");
        foreach (var (function, n) in perFunction.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {function} | {n:N0} |");
        }

        output.WriteLine(text.ToString());
        Console.WriteLine(text.ToString());
        var path = Path.Combine(RepoPaths.Root, "artifacts", "bench", "fuzz.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ToString());
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
