using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.LocalCloud.Launcher;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Benchmarks.Hooks;

/// <summary>
/// <c>dotnet run -c Release --project tests/CartCall.Benchmarks -- hooks</c>: what running merchant hooks costs, against
/// floors measured in the same run (a bare HttpClient POST to the same loopback server; a bare start of /bin/true).
/// Dispatch overhead is runner start to request body being written / to the process having started. The fan-outs
/// use a sliding window like the orchestration's (webhooks: 10 at once; processes: the runner's 8 slots).
/// Writes artifacts/bench/hooks.md.
/// </summary>
public static class HookFanOutBenchmark
{
    private const int Samples = 200;
    private const int FanOut = 100;

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = RepositoryLayout.Find().Root;
        var sample = Path.Combine(root, "samples", "hooks", "customer-tier.sh");
        var options = new HooksOptions { AllowLoopbackWebhooks = true };
        options.Processes.Executables["tier"] = new HookExecutable { Path = sample };
        options.Processes.MaxConcurrentProcesses = 8;
        var wrapped = Options.Create(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.Run(async c =>
        {
            await c.Request.Body.CopyToAsync(Stream.Null);
            await c.Response.WriteAsync("{\"action\":\"continue\"}");
        });
        await app.StartAsync();
        var url = new Uri(app.Urls.Single() + "/hook");

        using var webhooks = new WebhookHookRunner(wrapped, TimeProvider.System, NullLogger<WebhookHookRunner>.Instance);
        using var processes = new ProcessHookRunner(wrapped, TimeProvider.System, NullLogger<ProcessHookRunner>.Instance);
        var webhook = Hook(HookKind.Webhook, url.ToString(), "w");
        var process = Hook(HookKind.Process, "tier", "p");

        // Floor: the same bytes POSTed by a bare client over a pooled connection.
        using var bare = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var payload = Invocation(webhook, "hk_floor").Payload;
        async Task BarePost()
        {
            using var content = new ReadOnlyMemoryContent(payload);
            using var response = await bare.PostAsync(url, content);
            await response.Content.ReadAsByteArrayAsync();
        }

        for (var i = 0; i < 20; i++)
        {
            await BarePost();
            await webhooks.RunAsync(Invocation(webhook, "hk_warm"), CancellationToken.None);
        }

        var floorPost = await Time(Samples, BarePost);
        var webhookResults = new List<HookAttemptResult>();
        for (var i = 0; i < Samples; i++)
        {
            webhookResults.Add(await webhooks.RunAsync(Invocation(webhook, $"hk_{i}"), CancellationToken.None));
        }

        var floorProcess = await Time(50, async () =>
        {
            using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
            await p.WaitForExitAsync();
        });
        // Floor for a whole attempt: the same program, same stdin, started and read by a bare Process.
        var floorSample = await Time(50, async () =>
        {
            var psi = new ProcessStartInfo(sample) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            await p.StandardInput.BaseStream.WriteAsync(payload);
            p.StandardInput.Close();
            await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
        });
        var processResults = new List<HookAttemptResult>();
        for (var i = 0; i < 50; i++)
        {
            processResults.Add(await processes.RunAsync(Invocation(process, $"hk_p{i}"), CancellationToken.None));
        }

        var webhookSerial = await Wall(() => Window(FanOut, 1, i => webhooks.RunAsync(Invocation(webhook, $"hk_s{i}"), CancellationToken.None)));
        var webhookFan = await Wall(() => Window(FanOut, 10, i => webhooks.RunAsync(Invocation(webhook, $"hk_f{i}"), CancellationToken.None)));
        var processFan = await Wall(() => Window(FanOut, FanOut, i => processes.RunAsync(Invocation(process, $"hk_pf{i}"), CancellationToken.None)));
        var processSerial = await Wall(() => Window(FanOut, 1, i => processes.RunAsync(Invocation(process, $"hk_ps{i}"), CancellationToken.None)));

        // call.before_dial with 5 fast hooks: run them in parallel and decide (the orchestration adds its own hops).
        var five = Enumerable.Range(0, 5).Select(i => Hook(HookKind.Webhook, url.ToString(), $"h{i}")).ToList();
        var beforeDial = await Time(100, async () =>
        {
            var outcomes = await Task.WhenAll(five.Select(h => webhooks.RunAsync(Invocation(h, "hk_" + h.HookId), CancellationToken.None)
                .ContinueWith(t => t.Result.ToOutcome(h.HookId), TaskScheduler.Default)));
            _ = HookAggregation.Decide(HookPoints.CallBeforeDial, five, outcomes.ToDictionary(o => o.HookId));
        });

        var failures = webhookResults.Concat(processResults).Count(r => r.Kind != HookOutcomeKind.Answered);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Merchant hooks: dispatch overhead and fan-out");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, .NET {Environment.Version}; " +
            $"loopback Kestrel answering `continue` at once; process hook = `samples/hooks/customer-tier.sh` (sh + sed + awk). {failures} of {webhookResults.Count + processResults.Count} sampled attempts did not answer.");
        sb.AppendLine();
        sb.AppendLine("| what | p50 ms | p95 ms | floor p50 ms | ratio to floor |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        Row(sb, "webhook: runner start → body written (dispatch overhead)", webhookResults.Select(r => r.DispatchOverhead!.Value).ToList(), null);
        Row(sb, "webhook: whole attempt (sign, POST, read, parse) vs bare POST", webhookResults.Select(r => r.Latency).ToList(), floorPost);
        Row(sb, "process: runner start → process started (dispatch overhead)", processResults.Select(r => r.DispatchOverhead!.Value).ToList(), null);
        Row(sb, "process: whole attempt vs bare start+exit of /bin/true", processResults.Select(r => r.Latency).ToList(), floorProcess);
        Row(sb, "process: whole attempt vs the same program run by a bare Process", processResults.Select(r => r.Latency).ToList(), floorSample);
        Row(sb, "call.before_dial: 5 webhook hooks in parallel + decision", beforeDial, floorPost);
        sb.AppendLine();
        sb.AppendLine("| fan-out of 100 hooks | window | wall ms | per hook ms |");
        sb.AppendLine("|---|---:|---:|---:|");
        sb.AppendLine(inv, $"| webhooks, one at a time | 1 | {webhookSerial.TotalMilliseconds:0} | {webhookSerial.TotalMilliseconds / FanOut:0.00} |");
        sb.AppendLine(inv, $"| webhooks | 10 | {webhookFan.TotalMilliseconds:0} | {webhookFan.TotalMilliseconds / FanOut:0.00} |");
        sb.AppendLine(inv, $"| processes, one at a time | 1 | {processSerial.TotalMilliseconds:0} | {processSerial.TotalMilliseconds / FanOut:0.00} |");
        sb.AppendLine(inv, $"| processes (runner allows {options.Processes.MaxConcurrentProcesses} at once; peak seen {processes.PeakRunning}) | 100 | {processFan.TotalMilliseconds:0} | {processFan.TotalMilliseconds / FanOut:0.00} |");

        var output = Path.Combine(root, "artifacts", "bench", "hooks.md");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, sb.ToString());
        Console.WriteLine(sb);
        Console.WriteLine($"written to {output}");
        await app.StopAsync();
        return failures == 0 ? 0 : 1;
    }

    private static HookRegistration Hook(HookKind kind, string target, string id) =>
        new(id, "m-bench", [HookPoints.CallBeforeDial], kind, target, TimeSpan.FromSeconds(10), HookRetryPolicy.Default, 0, FailureMode.Open, true);

    private static HookInvocation Invocation(HookRegistration hook, string key) => new(hook, HookPoints.CallBeforeDial, key,
        HookCloudEvent.Serialize(key, new HookEventData
        {
            Point = HookPoints.CallBeforeDial,
            MerchantId = "m-bench",
            SessionId = "s",
            Cart = new HookCart("USD", 612.5m, [new HookCartItem("SKU", "Item", 1, 612.5m)]),
            Score = new HookScore(0.8, "hesitating", ["high cart value"]),
            Call = new HookCall("call-bench", "voip", "queued"),
        }, DateTimeOffset.UtcNow), 1, ["bench-secret"]);

    /// <summary>Runs <paramref name="count"/> tasks with at most <paramref name="window"/> in flight, starting the next as one ends.</summary>
    private static async Task Window(int count, int window, Func<int, Task<HookAttemptResult>> run)
    {
        using var gate = new SemaphoreSlim(window);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                await run(i);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static async Task<TimeSpan> Wall(Func<Task> work)
    {
        var sw = Stopwatch.StartNew();
        await work();
        return sw.Elapsed;
    }

    private static async Task<List<TimeSpan>> Time(int n, Func<Task> work)
    {
        var times = new List<TimeSpan>(n);
        for (var i = 0; i < n; i++)
        {
            var sw = Stopwatch.StartNew();
            await work();
            times.Add(sw.Elapsed);
        }

        return times;
    }

    private static void Row(StringBuilder sb, string what, List<TimeSpan> times, List<TimeSpan>? floor)
    {
        var inv = CultureInfo.InvariantCulture;
        var p50 = Percentile(times, 0.5);
        var p95 = Percentile(times, 0.95);
        var floorP50 = floor is null ? (double?)null : Percentile(floor, 0.5);
        sb.AppendLine(inv, $"| {what} | {p50:0.000} | {p95:0.000} | {(floorP50 is { } f ? f.ToString("0.000", inv) : "–")} | {(floorP50 is { } g && g > 0 ? (p50 / g).ToString("0.00", inv) + "×" : "–")} |");
    }

    private static double Percentile(List<TimeSpan> times, double q)
    {
        var sorted = times.Select(t => t.TotalMilliseconds).Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    }
}
