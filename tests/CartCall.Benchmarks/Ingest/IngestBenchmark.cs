using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.Launcher;
using CartCall.LocalCloud.Simulator;
using CartCall.Testing;

namespace CartCall.Benchmarks.Ingest;

/// <summary>
/// <c>ingest</c>: cart events per second and webhook latency (POST to 202, decision stored) through the real app on
/// Kestrel and Azurite, and in the same run the floor: the bare Azure.Data.Tables round trips one event needs (read the
/// session; one transaction writing session and decision; a queue send on a session's first event, as the app does).
/// Loopback only, bounded by event counts and a time limit.
/// </summary>
public static class IngestBenchmark
{
    private const string MerchantId = "bench";
    private const string QueueSend = "queue send";

    public sealed record Settings(int Events, int WarmupEvents, IReadOnlyList<int> Concurrencies, string OutputPath)
    {
        public static Settings Parse(string[] args)
        {
            var events = IntArg(args, "--events", 2000);
            var concurrencies = StringArg(args, "--concurrency") is { } c
                ? c.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToList()
                : [1, 16];
            return new Settings(events, Math.Min(1000, events), concurrencies, Path.Combine(RepositoryLayout.Find().ArtifactsDirectory, "bench", "ingest.md"));
        }
    }

    public sealed record Run(string Kind, int Concurrency, int Events, TimeSpan Elapsed, LatencySummary Latency, int Failures, IReadOnlyDictionary<string, (double MeanMs, long Count)> Sections, int Offers)
    {
        /// <summary>CPU of this process (HTTP client, Kestrel, the app, the SDK) and of Azurite, ms per event.</summary>
        public (double Self, double Azurite) CpuMsPerEvent { get; init; }

        public double EventsPerSecond => Events / Elapsed.TotalSeconds;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        var ct = limit.Token;

        Console.WriteLine($"ingest: {settings.Events} events per run at concurrency {string.Join(", ", settings.Concurrencies)}; starting Azurite, the Event Grid stand-in and the app…");
        await using var azurite = await Azurite.StartAsync().ConfigureAwait(false);
        var secrets = LocalSecrets.Generate();
        await using var eventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions { TopicKey = secrets.EventGridTopicKey }, ct).ConfigureAwait(false);
        await using var pubSub = await CartCall.LocalCloud.WebPubSub.WebPubSubStandIn.StartAsync(new CartCall.LocalCloud.WebPubSub.WebPubSubStandInOptions(), ct).ConfigureAwait(false);
        await using var acs = await CartCall.LocalCloud.Acs.AcsStandIn.StartAsync(new CartCall.LocalCloud.Acs.AcsStandInOptions(), ct).ConfigureAwait(false);
        var appSettings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = secrets.AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = eventGrid.Endpoint.AbsoluteUri,
            ["CartCall:EventGrid:TopicKey"] = secrets.EventGridTopicKey,
            ["CartCall:EventGrid:DeliveryKey"] = secrets.EventGridDeliveryKey,
            ["CartCall:WebPubSub:ConnectionString"] = pubSub.ConnectionString,
            ["CartCall:WebPubSub:Hub"] = "cartcall",
            ["CartCall:Acs:ConnectionString"] = acs.ConnectionString,
            ["CartCall:Acs:ImmutableResourceId"] = acs.ResourceId,
            ["CartCall:Acs:CallbackIssuer"] = acs.Issuer,
            ["CartCall:Acs:OpenIdConfigurationUri"] = acs.OpenIdConfigurationUri.AbsoluteUri,
            ["CartCall:Preferences:CookieSigningKey"] = secrets.CookieSigningKey,
            // The idle re-evaluation queue poller runs as in a local run, on the product's default schedule.
        };
        StripeSettings.AddTo(appSettings);
        await using var app = await InProcessApp.StartAsync(appSettings, LoopbackPorts.FreePort(), ct).ConfigureAwait(false);

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 }) { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var admin = new AdminApiClient(http, secrets.AdminKey);
        await admin.PutMerchantAsync(AdminApiClient.DemoMerchant(MerchantId, secrets.MerchantSigningSecret, new Uri("http://127.0.0.1:7104/")), ct).ConfigureAwait(false);
        foreach (var agent in AdminApiClient.DemoAgents(3))
        {
            await admin.PutAgentAsync(MerchantId, agent, ct).ConfigureAwait(false);
        }

        var tables = new TableServiceClient(azurite.ConnectionString);
        var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var floorTable = tables.GetTableClient(StorageNamesForFloor.Table);
        var floorQueue = queues.GetQueueClient(StorageNamesForFloor.Queue);
        await floorTable.CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        await floorQueue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);

        // Warm both paths (JIT, connection pools, Azurite's first writes) and learn the entity sizes the app writes.
        var seed = 1000;
        await RunPipelineAsync(http, app, secrets.MerchantSigningSecret, Workload(seed++, settings.WarmupEvents), 4, ct).ConfigureAwait(false);
        var (stateBytes, documentChars) = await MeasureEntitySizesAsync(tables.GetTableClient(StorageNamesForFloor.AppSessionsTable), ct).ConfigureAwait(false);
        await RunFloorAsync(floorTable, floorQueue, Workload(seed++, settings.WarmupEvents), 4, stateBytes, documentChars, ct).ConfigureAwait(false);
        Console.WriteLine($"warm-up done; the app writes sessions of ~{stateBytes} B state and decisions of ~{documentChars} chars: the floor writes the same.");
        var codec = await MeasureSessionCodecAsync(tables.GetTableClient(StorageNamesForFloor.AppSessionsTable), ct).ConfigureAwait(false);

        var runs = new List<Run>();
        foreach (var concurrency in settings.Concurrencies)
        {
            var cpu = CpuMeter.Start();
            var pipeline = await RunPipelineAsync(http, app, secrets.MerchantSigningSecret, Workload(seed++, settings.Events), concurrency, ct).ConfigureAwait(false);
            runs.Add(pipeline = pipeline with { CpuMsPerEvent = cpu.PerEvent(pipeline.Events) });
            Print(pipeline);
            cpu = CpuMeter.Start();
            var floor = await RunFloorAsync(floorTable, floorQueue, Workload(seed++, settings.Events), concurrency, stateBytes, documentChars, ct).ConfigureAwait(false);
            runs.Add(floor = floor with { CpuMsPerEvent = cpu.PerEvent(floor.Events) });
            Print(floor);
        }

        var markdown = Report(settings, runs, stateBytes, documentChars, codec);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.OutputPath)!);
        await File.WriteAllTextAsync(settings.OutputPath, markdown, ct).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"written to {settings.OutputPath}");
        return runs.Sum(r => r.Failures) == 0 ? 0 : 1;
    }

    /// <summary>
    /// Whole visits from the shopper model, in shopper order, cut to <paramref name="events"/> events. Each visit is
    /// moved back so it ends now: its events keep their spacing but are in the past, as a storefront sends them (the
    /// app refuses events stamped more than 5 minutes ahead of its clock, and a visit spans up to hours).
    /// </summary>
    private static List<SimulatedSession> Workload(int seed, int events)
    {
        var generator = new ShopperSessionGenerator(seed);
        var sessions = new List<SimulatedSession>();
        var count = 0;
        var now = DateTimeOffset.UtcNow;
        while (count < events)
        {
            var s = generator.Next(now);
            if (count + s.Events.Count > events)
            {
                s = s with { Events = s.Events.Take(events - count).ToList() };
            }

            foreach (var e in s.Events)
            {
                e.Message.OccurredAt -= s.Span;
            }

            sessions.Add(s);
            count += s.Events.Count;
        }

        return sessions;
    }

    private static async Task<Run> RunPipelineAsync(
        HttpClient http, InProcessApp app, string secret, List<SimulatedSession> sessions, int concurrency, CancellationToken ct)
    {
        var path = $"api/merchants/{MerchantId}/cart-events";
        var latencies = new double[sessions.Sum(s => s.Events.Count)];
        var slot = -1;
        var next = -1;
        var failures = 0;
        var offers = 0;
        app.Timings.Reset();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < sessions.Count)
            {
                // A storefront sends one visit's events one after another; visits go in parallel.
                foreach (var e in sessions[i].Events)
                {
                    var body = JsonSerializer.SerializeToUtf8Bytes(e.Message, AppJson.Options);
                    using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                    request.Headers.TryAddWithoutValidation(WebhookSignatures.CartCallHeader, WebhookSignatures.SignCartCall(body, secret, DateTimeOffset.UtcNow));
                    var start = Stopwatch.GetTimestamp();
                    using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                    latencies[Interlocked.Increment(ref slot)] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if ((int)response.StatusCode != 202)
                    {
                        if (Interlocked.Increment(ref failures) <= 3)
                        {
                            Console.Error.WriteLine($"pipeline: {(int)response.StatusCode} {text}");
                        }
                    }
                    else if (text.Contains("\"offerProposed\":true", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref offers);
                    }
                }
            }
        }, ct))).ConfigureAwait(false);
        watch.Stop();
        return new Run("pipeline", concurrency, latencies.Length, watch.Elapsed, LatencySummary.From(latencies), failures, app.Timings.Snapshot(), offers);
    }

    private static async Task<Run> RunFloorAsync(
        TableClient table, QueueClient queue, List<SimulatedSession> sessions, int concurrency, int stateBytes, int documentChars, CancellationToken ct)
    {
        var latencies = new double[sessions.Sum(s => s.Events.Count)];
        var slot = -1;
        var next = -1;
        var failures = 0;
        var document = new string('x', documentChars);
        var sections = new Sections();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var state = new byte[stateBytes];
            int i;
            while ((i = Interlocked.Increment(ref next)) < sessions.Count)
            {
                var session = sessions[i];
                var pk = $"{MerchantId}|{session.SessionId}";

                // The least one event needs: one entity-group transaction (session + decision) carrying the ETag of
                // the previous write, plus the queue message on a session's first event. No read.
                ETag? etag = null;
                for (var j = 0; j < session.Events.Count; j++)
                {
                    var message = session.Events[j].Message;
                    RandomNumberGenerator.Fill(state); // incompressible, like the app's Brotli output
                    var start = Stopwatch.GetTimestamp();
                    try
                    {
                        var entity = new TableEntity(pk, "session")
                        {
                            ["MerchantId"] = MerchantId,
                            ["SessionId"] = session.SessionId,
                            ["ShopperId"] = session.ShopperId,
                            ["LastEventAt"] = message.OccurredAt,
                            ["EventCount"] = j + 1,
                            ["OrderCompleted"] = message.Type == "order_completed",
                            ["ReevaluateAt"] = DateTimeOffset.UtcNow.AddSeconds(90),
                            ["State"] = state,
                        };
                        var decision = new TableEntity(pk, $"d|{DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UtcNow.UtcTicks:D19}|{message.EventId}")
                        {
                            ["Propose"] = false,
                            ["Score"] = 0.12,
                            ["Trigger"] = message.Type,
                            ["OfferId"] = null,
                            ["Document"] = document,
                        };
                        TableTransactionAction[] actions =
                        [
                            etag is { } known
                                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, known)
                                : new TableTransactionAction(TableTransactionActionType.Add, entity),
                            new TableTransactionAction(TableTransactionActionType.UpsertReplace, decision),
                        ];
                        var submit = Stopwatch.GetTimestamp();
                        var first = etag is null;
                        var saved = await table.SubmitTransactionAsync(actions, ct).ConfigureAwait(false);
                        etag = saved.Value[0].Headers.ETag;
                        sections.Add(Sections.StoreSave, submit);
                        if (first)
                        {
                            var send = Stopwatch.GetTimestamp();
                            // The app schedules one idle re-evaluation per session: on its first event.
                            await queue.SendMessageAsync($"{{\"merchantId\":\"{MerchantId}\",\"sessionId\":\"{session.SessionId}\"}}", TimeSpan.FromSeconds(90), cancellationToken: ct).ConfigureAwait(false);
                            sections.Add(QueueSend, send);
                        }
                    }
                    catch (RequestFailedException e)
                    {
                        if (Interlocked.Increment(ref failures) <= 3)
                        {
                            Console.Error.WriteLine($"floor: {e.Status} {e.ErrorCode}");
                        }
                    }

                    latencies[Interlocked.Increment(ref slot)] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
        }, ct))).ConfigureAwait(false);
        watch.Stop();
        return new Run("floor", concurrency, latencies.Length, watch.Elapsed, LatencySummary.From(latencies), failures, sections.Snapshot(), 0);
    }

    private static async Task<(int StateBytes, int DocumentChars)> MeasureEntitySizesAsync(TableClient sessions, CancellationToken ct)
    {
        long state = 0, stateCount = 0, doc = 0, docCount = 0;
        await foreach (var e in sessions.QueryAsync<TableEntity>(maxPerPage: 1000, cancellationToken: ct).ConfigureAwait(false))
        {
            if (e.RowKey == "session" && e.GetBinary("State") is { } s)
            {
                state += s.Length;
                stateCount++;
            }
            else if (e.GetString("Document") is { } d)
            {
                doc += d.Length;
                docCount++;
            }

            if (stateCount + docCount >= 2000)
            {
                break;
            }
        }

        return ((int)(state / Math.Max(1, stateCount)), (int)(doc / Math.Max(1, docCount)));
    }

    /// <summary>Times the session state codec exactly as TableSessionStore runs it, on states the app stored.</summary>
    private static async Task<(double DecodeUs, double EncodeUs)> MeasureSessionCodecAsync(TableClient sessions, CancellationToken ct)
    {
        var states = new List<byte[]>();
        await foreach (var e in sessions.QueryAsync<TableEntity>(filter: "RowKey eq 'session'", maxPerPage: 200, cancellationToken: ct).ConfigureAwait(false))
        {
            states.Add(e.GetBinary("State")!);
            if (states.Count >= 200)
            {
                break;
            }
        }

        var decoded = states.Select(Decode).ToList();
        const int Rounds = 5;
        var start = Stopwatch.GetTimestamp();
        for (var r = 0; r < Rounds; r++)
        {
            foreach (var state in states)
            {
                _ = Decode(state);
            }
        }

        var decodeUs = Stopwatch.GetElapsedTime(start).TotalMicroseconds / (Rounds * states.Count);
        start = Stopwatch.GetTimestamp();
        for (var r = 0; r < Rounds; r++)
        {
            foreach (var session in decoded)
            {
                _ = Encode(session);
            }
        }

        return (decodeUs, Stopwatch.GetElapsedTime(start).TotalMicroseconds / (Rounds * decoded.Count));

        static CartCall.Domain.Carts.CartSession Decode(byte[] state)
        {
            using var brotli = new System.IO.Compression.BrotliStream(new MemoryStream(state), System.IO.Compression.CompressionMode.Decompress);
            return JsonSerializer.Deserialize<CartCall.Domain.Carts.CartSession>(brotli, AppJson.Options)!;
        }

        static byte[] Encode(CartCall.Domain.Carts.CartSession session)
        {
            using var buffer = new MemoryStream();
            using (var brotli = new System.IO.Compression.BrotliStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                JsonSerializer.Serialize(brotli, session, AppJson.Options);
            }

            return buffer.ToArray();
        }
    }

    private static void Print(Run r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Kind,-8} c={r.Concurrency,-3} {r.Events} events in {r.Elapsed.TotalSeconds:0.00} s = {r.EventsPerSecond:0} ev/s; p50 {r.Latency.P50Ms:0.0} ms, p99 {r.Latency.P99Ms:0.0} ms, max {r.Latency.MaxMs:0.0} ms; cpu/event {r.CpuMsPerEvent.Self:0.00} ms here + {r.CpuMsPerEvent.Azurite:0.00} ms Azurite; failures {r.Failures}"));

    private static string Report(Settings settings, List<Run> runs, int stateBytes, int documentChars, (double DecodeUs, double EncodeUs) codec)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("# Ingest: cart events through the app vs. the storage floor");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores (load average {LoadAverage()}), {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, Azurite 3.35 in memory. " +
            $"{settings.Events} events per run (after {settings.WarmupEvents} warm-up events per path), generated visits sent in shopper order, one visit at a time per worker.");
        sb.AppendLine();
        sb.AppendLine("*Pipeline*: signed `POST /api/merchants/{id}/cart-events` to the app on Kestrel (127.0.0.1) → 202, the decision stored before the answer. " +
            $"*Floor*: the Azure.Data.Tables calls one event needs, nothing else: one transaction writing the session (~{stateBytes} B state) and the decision (~{documentChars} chars) with the ETag of the previous write (no read), and a queue send on each session's first event.");
        sb.AppendLine();
        sb.AppendLine("| path | concurrency | events/s | mean ms | p50 ms | p95 ms | p99 ms | max ms | failures |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            sb.AppendLine(inv, $"| {r.Kind} | {r.Concurrency} | {r.EventsPerSecond:0} | {r.Latency.MeanMs:0.0} | {r.Latency.P50Ms:0.0} | {r.Latency.P95Ms:0.0} | {r.Latency.P99Ms:0.0} | {r.Latency.MaxMs:0.0} | {r.Failures} |");
        }

        sb.AppendLine();
        sb.AppendLine("| concurrency | floor ÷ pipeline events/s | pipeline ÷ floor p50 | pipeline ÷ floor p99 | offers proposed |");
        sb.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var c in settings.Concurrencies)
        {
            var p = runs.Single(r => r.Kind == "pipeline" && r.Concurrency == c);
            var f = runs.Single(r => r.Kind == "floor" && r.Concurrency == c);
            sb.AppendLine(inv, $"| {c} | {f.EventsPerSecond / p.EventsPerSecond:0.00}× | {p.Latency.P50Ms / f.Latency.P50Ms:0.00}× | {p.Latency.P99Ms / f.Latency.P99Ms:0.00}× | {p.Offers} |");
        }

        sb.AppendLine();
        sb.AppendLine("Where an event's time goes (mean ms per event; stopwatch sections in the same process; the pipeline's session read includes Brotli/JSON decoding, its transaction the encoding):");
        sb.AppendLine();
        sb.AppendLine("| path | concurrency | per event | session read | session+decision transaction | queue send | everything else (HTTP client, the host's forwarding, the worker, the app) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var c in settings.Concurrencies)
        {
            var p = runs.Single(r => r.Kind == "pipeline" && r.Concurrency == c);
            var get = Mean(p, Sections.StoreGet);
            var save = Mean(p, Sections.StoreSave);
            sb.AppendLine(inv, $"| pipeline | {c} | {p.Latency.MeanMs:0.00} | {get:0.00} | {save:0.00} | (in the rest) | {p.Latency.MeanMs - get - save:0.00} |");
            var f = runs.Single(r => r.Kind == "floor" && r.Concurrency == c);
            sb.AppendLine(inv, $"| floor | {c} | {f.Latency.MeanMs:0.00} | {Mean(f, Sections.StoreGet):0.00} | {Mean(f, Sections.StoreSave):0.00} | {Mean(f, QueueSend):0.00} | – |");
        }

        sb.AppendLine();
        sb.AppendLine("CPU per event (ms; this process = HTTP client + Kestrel + the app + the SDK, or the SDK alone for the floor):");
        sb.AppendLine();
        sb.AppendLine("| path | concurrency | this process | Azurite | total |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in runs)
        {
            sb.AppendLine(inv, $"| {r.Kind} | {r.Concurrency} | {r.CpuMsPerEvent.Self:0.00} | {r.CpuMsPerEvent.Azurite:0.00} | {r.CpuMsPerEvent.Self + r.CpuMsPerEvent.Azurite:0.00} |");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"The session codec the store runs on every event (JSON + Brotli, as TableSessionStore does), on the app's own stored sessions, single-threaded: decode {codec.DecodeUs:0} µs, encode {codec.EncodeUs:0} µs.");
        return sb.ToString();

        static double Mean(Run r, string section) =>
            r.Sections.TryGetValue(section, out var s) ? s.MeanMs * s.Count / Math.Max(1, r.Events) : 0;
    }

    internal static int IntArg(string[] args, string name, int fallback) =>
        StringArg(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    internal static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
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

    /// <summary>CPU time used by this process and by its node (Azurite) children between Start and PerEvent.</summary>
    private sealed class CpuMeter
    {
        private readonly TimeSpan self;
        private readonly double azurite;

        private CpuMeter(TimeSpan self, double azurite)
        {
            this.self = self;
            this.azurite = azurite;
        }

        public static CpuMeter Start() => new(Process.GetCurrentProcess().TotalProcessorTime, NodeChildrenCpuMs());

        public (double Self, double Azurite) PerEvent(int events) =>
            ((Process.GetCurrentProcess().TotalProcessorTime - self).TotalMilliseconds / events, (NodeChildrenCpuMs() - azurite) / events);

        // utime + stime of our node children from /proc (clock ticks of 10 ms on Linux); 0 elsewhere.
        private static double NodeChildrenCpuMs()
        {
            if (!OperatingSystem.IsLinux())
            {
                return 0;
            }

            var me = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            double total = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var close = stat.LastIndexOf(')');
                    if (!stat.AsSpan(stat.IndexOf('(') + 1, close - stat.IndexOf('(') - 1).SequenceEqual("node"))
                    {
                        continue;
                    }

                    var fields = stat[(close + 2)..].Split(' ');
                    if (fields[1] == me)
                    {
                        total += (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) * 10;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process went away while we looked.
                }
            }

            return total;
        }
    }
}
