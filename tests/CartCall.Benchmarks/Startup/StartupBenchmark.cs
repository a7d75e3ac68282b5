using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.Launcher;
using CartCall.Testing;

namespace CartCall.Benchmarks.Startup;

/// <summary>
/// <c>startup</c>: the built app started as a child process (<c>dotnet CartCall.Functions.dll</c>, as the Functions host
/// starts the custom handler) N times; each time, process start to the first 200 from <c>/api/health</c>.
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
        for (var i = 0; i < runs; i++)
        {
            var port = LoopbackPorts.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
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
            await using var app = ChildProcess.Start(AppProcess.Spec(appDll, environment, logPath: null));
            var elapsed = await AppProcess.WaitHealthyAsync(app, new Uri($"http://127.0.0.1:{port}/"), TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            await app.StopAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            times.Add(elapsed);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: {elapsed.TotalMilliseconds:0} ms"));
        }

        var sorted = times.Order().ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Start-up: process start to first healthy answer");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average {LoadAverage()}), .NET {Environment.Version}, {configuration} build, Azurite in memory (tables already created after run 1). " +
            $"`dotnet CartCall.Functions.dll` started {runs} times; time from process start to the first 200 from `/api/health` (which reads a table and a queue).");
        sb.AppendLine();
        sb.AppendLine("| runs | min ms | median ms | max ms | each run ms |");
        sb.AppendLine("|---:|---:|---:|---:|---|");
        sb.AppendLine(inv, $"| {runs} | {sorted[0].TotalMilliseconds:0} | {median.TotalMilliseconds:0} | {sorted[^1].TotalMilliseconds:0} | {string.Join(", ", times.Select(t => t.TotalMilliseconds.ToString("0", inv)))} |");
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
