using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.LocalCloud.Launcher;
using CartCall.Testing;

namespace CartCall.Benchmarks.Startup;

/// <summary>
/// <c>startup</c>: the local Functions host started N times with the built app as its worker process
/// (<c>dotnet CartCall.Functions.dll --functions-uri …</c>, as the Functions host starts an isolated worker); each time,
/// host start to the first 200 from <c>/api/health</c>, and the worker's share of it (process start to every function loaded).
/// Cold start is what a shopper waits through while the agent leg is set up.
/// </summary>
public static class StartupBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = Ingest.IngestBenchmark.IntArg(args, "--runs", 5);
        var layout = RepositoryLayout.Find();
        var configuration = RepositoryLayout.CurrentConfiguration;
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = limit.Token;
        var appDll = await AppProcess.EnsureBuiltAsync(layout, configuration, Console.WriteLine, ct).ConfigureAwait(false);

        Console.WriteLine($"startup: {runs} starts of {appDll}; starting Azurite and the Event Grid stand-in…");
        await using var azurite = await Azurite.StartAsync().ConfigureAwait(false);
        var topicKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var eventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions { TopicKey = topicKey }, ct).ConfigureAwait(false);
        var secrets = LocalSecrets.Generate();

        var times = new List<TimeSpan>();
        var workers = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            var port = LoopbackPorts.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = azurite.ConnectionString,
                ["CartCall__Storage__ConnectionString"] = azurite.ConnectionString,
                ["CartCall__Storage__CreateIfMissing"] = "true",
                ["CartCall__Admin__Key"] = secrets.AdminKey,
                ["CartCall__EventGrid__TopicEndpoint"] = eventGrid.Endpoint.AbsoluteUri,
                ["CartCall__EventGrid__TopicKey"] = topicKey,
                ["CartCall__EventGrid__DeliveryKey"] = secrets.EventGridDeliveryKey,
                ["CartCall__Preferences__CookieSigningKey"] = secrets.CookieSigningKey,
                // Validated at start-up but not called before the first request: no service needs to listen.
                ["CartCall__WebPubSub__ConnectionString"] = $"Endpoint=http://127.0.0.1:{LoopbackPorts.FreePort()};AccessKey={topicKey};Version=1.0;",
                ["CartCall__WebPubSub__Hub"] = "cartcall",
                ["CartCall__Acs__ConnectionString"] = $"endpoint=http://127.0.0.1:{LoopbackPorts.FreePort()}/;accesskey={topicKey}",
                ["CartCall__Acs__ImmutableResourceId"] = Guid.NewGuid().ToString(),
                ["CartCall__Acs__OpenIdConfigurationUri"] = $"http://127.0.0.1:{LoopbackPorts.FreePort()}/calling/.well-known/acsopenidconfiguration",
            };
            foreach (var (key, value) in StripeSettings.For(null))
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value!;
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await using var host = await LocalFunctionsHost.StartAsync(new LocalFunctionsHostOptions
            {
                AppDirectory = Path.GetDirectoryName(appDll)!,
                Launcher = new ProcessWorkerLauncher(appDll),
                Settings = environment,
                HttpPort = port,
            }, ct).ConfigureAwait(false);
            var elapsed = await AppProcess.WaitHealthyAsync(host.BaseAddress, started, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            times.Add(elapsed);
            workers.Add(host.Supervisor.FirstStartup);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: {elapsed.TotalMilliseconds:0} ms (worker start to loaded {host.Supervisor.FirstStartup.TotalMilliseconds:0} ms)"));
        }

        var sorted = times.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Start-up: local Functions host start to first healthy answer");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average {LoadAverage()}), .NET {Environment.Version}, {configuration} build, Azurite in memory (tables already created after run 1). " +
            $"The local Functions host started {runs} times, each starting `dotnet CartCall.Functions.dll` as its worker; time from host start to the first 200 from `/api/health` (which reads a table and a queue), and the worker's part: process start to every function loaded.");
        sb.AppendLine();
        sb.AppendLine("| runs | min ms | median ms | max ms | each run ms |");
        sb.AppendLine("|---:|---:|---:|---:|---|");
        sb.AppendLine(inv, $"| {runs} | {sorted[0].TotalMilliseconds:0} | {median.TotalMilliseconds:0} | {sorted[^1].TotalMilliseconds:0} | {string.Join(", ", times.Select(t => t.TotalMilliseconds.ToString("0", inv)))} |");
        var w = workers.Order().ToList();
        sb.AppendLine();
        sb.AppendLine(inv, $"Worker process start to all functions loaded: min {w[0].TotalMilliseconds:0} ms, median {w[w.Count / 2].TotalMilliseconds:0} ms, max {w[^1].TotalMilliseconds:0} ms.");
        var output = Path.Combine(layout.ArtifactsDirectory, "bench", "startup.md");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, sb.ToString(), ct).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(sb);
        Console.WriteLine($"written to {output}");
        return 0;
    }

    /// <summary>The machine is shared: the 1-minute load average says how much else was running.</summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
