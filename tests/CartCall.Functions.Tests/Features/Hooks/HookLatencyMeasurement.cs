using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.LocalCloud.Acs;
using CartCall.Testing;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>
/// Not a check of speed (timings are never asserted): a bounded loopback run on the real app (worker in its own
/// process, Durable engine on Azurite) measuring what hooks cost. Writes <c>artifacts/bench/hooks.md</c>.
/// Run with <c>--filter "Category=Measure&amp;FullyQualifiedName~Hooks"</c>.
/// </summary>
[Collection(HooksAppCollection.Name)]
public sealed class HookLatencyMeasurement(HooksAppFixture app, ITestOutputHelper output)
{
    private const int CallsEach = 12;
    private static int addresses;

    private static IPAddress NextAddress()
    {
        var n = Interlocked.Increment(ref addresses);
        return IPAddress.Parse($"127.0.{20 + (n / 200)}.{1 + (n % 200)}");
    }

    [Fact]
    [Trait("Category", "Measure")]
    public async Task Measure_FanOutWallTime_DispatchOverhead_AndBeforeDialCost()
    {
        var report = new StringBuilder();
        report.AppendLine("# Hooks on Durable Functions (loopback run)").AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `HookLatencyMeasurement` on the real app: worker in its own process behind the local");
        report.AppendLine("Functions host, the Durable Task sidecar over DurableTask.AzureStorage on Azurite, loopback Kestrel hooks answering at");
        report.AppendLine("once, 2 CPU cores shared with other engineers' builds and tests. Figures are wall-clock, in ms.").AppendLine();

        await using var server = await LoopbackHookServer.StartAsync((context, _) => context.Response.WriteAsJsonAsync(new { action = "continue" }));

        // 1. accept → create-call at ACS, without hooks and with 5 fast before_dial webhook hooks.
        var plain = await AcceptToDialAsync(server, hooks: 0);
        var hooked = await AcceptToDialAsync(server, hooks: 5);
        report.AppendLine("## `call.before_dial`: accept → create-call request at the ACS stand-in").AppendLine();
        report.AppendLine("| merchant | n | p50 | p90 | max |").AppendLine("|---|---|---|---|---|");
        report.AppendLine(Row("no hooks (the accept dials at once)", plain));
        report.AppendLine(Row("5 fast webhook hooks at before_dial (the orchestration dials after them)", hooked));
        report.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Added by the 5 hooks: p50 {Percentile(hooked, 0.5) - Percentile(plain, 0.5):0} ms. Without hooks the accept dials beside the orchestration's start; with before_dial hooks the dial waits for the orchestration's first turn, the planning activity and the hooks' activities (each a turn of the engine), and the dial activity.").AppendLine();

        // 2. Fan-out wall time for N hooks at offer.accepted (a fan-out of its own, no deadline).
        report.AppendLine("## Fan-out of N webhook hooks (`offer.accepted`, merchant window " + HooksAppFixture.MerchantConcurrency + ")").AppendLine();
        report.AppendLine("Wall = first delivery record created → last delivery completed; start = accept answered → first delivery record created (the first attempt begins).").AppendLine();
        report.AppendLine("| hooks | wall | start | per-invocation dispatch overhead p50 (runner start → body written) | attempt latency p50 |").AppendLine("|---|---|---|---|---|");
        foreach (var n in new[] { 1, 10, 50 })
        {
            var (wall, start, overhead, latency) = await FanOutAsync(server, n);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {n} | {wall:0} | {start:0} | {Percentile(overhead, 0.5):0.00} | {Percentile(latency, 0.5):0.0} |");
            output.WriteLine($"{n} hooks: wall {wall:0} ms, start {start:0} ms");
        }

        var path = Path.Combine(RepoPaths.Root, "artifacts", "bench", "hooks.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.ToString());
        output.WriteLine(report.ToString());
    }

    private async Task<List<double>> AcceptToDialAsync(LoopbackHookServer server, int hooks)
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1000);
        for (var a = 0; a < 3; a++)
        {
            var agent = "+1201558" + (hooks * 10 + a).ToString("D4", CultureInfo.InvariantCulture);
            app.Acs.Parties[agent] = PartyScript.NeverAnswers();
            await app.AddAgentAsync(merchant, "bench-" + a.ToString(CultureInfo.InvariantCulture), agent);
        }

        for (var h = 0; h < hooks; h++)
        {
            await app.RegisterAsync(merchant, $"fast{h}", HooksAppFixture.Webhook(new Uri(server.Url, $"?h={h}"), HookPoints.CallBeforeDial));
        }

        var samples = new List<double>();
        for (var i = 0; i < CallsEach; i++)
        {
            var shopper = "+1201559" + (hooks * 100 + i).ToString("D4", CultureInfo.InvariantCulture);
            app.Acs.Parties[shopper] = PartyScript.NeverAnswers();
            var session = "bench-" + Guid.NewGuid().ToString("N")[..8];
            var offer = await app.NewOfferAsync(merchant, session);
            var started = DateTimeOffset.UtcNow;
            var callId = await app.AcceptAsync(merchant, offer, session, shopper, NextAddress());
            var created = await HooksAppFixture.WaitForAsync(
                () => Task.FromResult(app.Acs.Calls.FirstOrDefault(c => c.OperationContext == callId)), "create-call of " + callId);
            samples.Add((created.Timeline[0].At - started).TotalMilliseconds);
        }

        return samples;
    }

    private async Task<(double Wall, double Start, List<double> Overhead, List<double> Latency)> FanOutAsync(LoopbackHookServer server, int hooks)
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1000);
        var agent = "+1201557" + (9000 + hooks).ToString("D4", CultureInfo.InvariantCulture);
        app.Acs.Parties[agent] = PartyScript.NeverAnswers();
        await app.AddAgentAsync(merchant, "bench", agent);
        for (var h = 0; h < hooks; h++)
        {
            await app.RegisterAsync(merchant, $"n{h:D3}", HooksAppFixture.Webhook(new Uri(server.Url, $"?n={h}"), HookPoints.OfferAccepted));
        }

        var session = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var offer = await app.NewOfferAsync(merchant, session);
        var shopper = "+1201557" + (8000 + hooks).ToString("D4", CultureInfo.InvariantCulture);
        app.Acs.Parties[shopper] = PartyScript.NeverAnswers();
        await app.AcceptAsync(merchant, offer, session, shopper, NextAddress());
        var answeredAt = DateTimeOffset.UtcNow;
        var done = await HooksAppFixture.WaitForAsync(async () =>
        {
            var list = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded, Max: 1_000), CancellationToken.None);
            return list.Count == hooks ? list : null;
        }, $"{hooks} deliveries", TimeSpan.FromSeconds(120));

        var wall = (done.Max(d => d.CompletedAt!.Value) - done.Min(d => d.CreatedAt)).TotalMilliseconds;
        var start = (done.Min(d => d.CreatedAt) - answeredAt).TotalMilliseconds;
        return (wall, start, [.. done.Select(d => d.LastDispatchOverheadMs ?? 0)], [.. done.Select(d => d.LastLatencyMs ?? 0)]);
    }

    private static string Row(string what, List<double> samples) => string.Create(CultureInfo.InvariantCulture,
        $"| {what} | {samples.Count} | {Percentile(samples, 0.5):0} | {Percentile(samples, 0.9):0} | {samples.Max():0} |");

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
