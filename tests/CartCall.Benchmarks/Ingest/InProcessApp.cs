using System.Diagnostics;
using System.Net;
using CartCall.Testing;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Benchmarks.Ingest;

/// <summary>
/// The app as it runs locally: the local Functions host with the isolated worker in this process (the same pipeline as
/// <c>cartcall-local up</c>, minus the worker's process boundary), so requests go through real sockets, the host's
/// forwarding, the worker's middleware and the real storage adapters. A decorator times the session store's round trips.
/// </summary>
public sealed class InProcessApp : IAsyncDisposable
{
    private readonly FunctionsApp app;

    private InProcessApp(FunctionsApp app, Sections sections)
    {
        this.app = app;
        Timings = sections;
    }

    public Uri BaseAddress => app.BaseAddress;

    public Sections Timings { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<InProcessApp> StartAsync(IReadOnlyDictionary<string, string?> settings, int port, CancellationToken cancellationToken)
    {
        var sections = new Sections();
        var app = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = new Dictionary<string, string?>(settings),
            StorageConnectionString = settings["CartCall:Storage:ConnectionString"]!,
            HttpPort = port,
            // Errors only: the cost of an Information log per event would be the benchmark's, not the app's.
            MinimumLogLevel = LogLevel.Error,
            ConfigureServices = services =>
            {
                services.AddSingleton(sections);
                services.AddSingleton<TableSessionStore>();
                services.AddSingleton<ISessionStore>(sp => new TimedSessionStore(sp.GetRequiredService<TableSessionStore>(), sections));
            },
        }, cancellationToken).ConfigureAwait(false);
        return new InProcessApp(app, sections);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

/// <summary>Total time and count per named section, thread-safe, reset between runs.</summary>
public sealed class Sections
{
    public const string StoreGet = "store: GetAsync (session read)";
    public const string StoreSave = "store: SaveAsync (session + decision transaction)";

    private readonly Dictionary<string, (long Ticks, long Count)> totals = [];
    private readonly Lock gate = new();

    public void Add(string name, long startTimestamp)
    {
        var elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        lock (gate)
        {
            totals.TryGetValue(name, out var t);
            totals[name] = (t.Ticks + elapsed, t.Count + 1);
        }
    }

    public void Reset()
    {
        lock (gate)
        {
            totals.Clear();
        }
    }

    /// <summary>Mean milliseconds per call and the number of calls, by section.</summary>
    public IReadOnlyDictionary<string, (double MeanMs, long Count)> Snapshot()
    {
        lock (gate)
        {
            return totals.ToDictionary(p => p.Key, p => (p.Value.Count == 0 ? 0 : p.Value.Ticks * 1000.0 / Stopwatch.Frequency / p.Value.Count, p.Value.Count));
        }
    }
}

/// <summary>Times the session store's two round trips without changing what they do.</summary>
internal sealed class TimedSessionStore(ISessionStore inner, Sections sections) : ISessionStore
{
    public async Task<LoadedSession?> GetAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.GetAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sections.Add(Sections.StoreGet, start);
        }
    }

    public async Task<SavedSession> SaveAsync(
        LoadedSession loaded, StoredDecision? decision, DateTimeOffset? reevaluateAt, IReadOnlyList<OutboxItem>? outbox, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.SaveAsync(loaded, decision, reevaluateAt, outbox, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sections.Add(Sections.StoreSave, start);
        }
    }

    public Task<IReadOnlyList<StoredDecision>> ListDecisionsAsync(string merchantId, string sessionId, int max, CancellationToken cancellationToken) =>
        inner.ListDecisionsAsync(merchantId, sessionId, max, cancellationToken);

    public Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string merchantId, string sessionId, CancellationToken cancellationToken) =>
        inner.ListOutboxAsync(merchantId, sessionId, cancellationToken);

    public Task DeleteOutboxAsync(OutboxEntry entry, CancellationToken cancellationToken) => inner.DeleteOutboxAsync(entry, cancellationToken);

    public Task<OutboxPage> ScanOutboxAsync(DateTimeOffset writtenBefore, string? continuation, CancellationToken cancellationToken) =>
        inner.ScanOutboxAsync(writtenBefore, continuation, cancellationToken);
}

/// <summary>Storage clients for the benchmark's own floor measurement, configured as the app configures its own.</summary>
internal static class StorageNamesForFloor
{
    public const string Table = "floorsessions";
    public const string Queue = "floorreevaluate";
    public static readonly string AppSessionsTable = StorageNames.SessionsTable;
}
