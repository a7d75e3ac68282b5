using System.Diagnostics;
using System.Net;
using CartCall.Functions;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Benchmarks.Ingest;

/// <summary>
/// The app hosted in this process on Kestrel, 127.0.0.1: built exactly as its Program.cs builds it
/// (<c>CreateSlimBuilder</c> → <c>AddCartCall</c> → <c>MapCartCall</c>), so requests go through real sockets,
/// the real middleware and the real storage adapters. Two additions measure where time goes: a middleware timing
/// each request on the server, and a decorator timing the session store's round trips.
/// </summary>
public sealed class InProcessApp : IAsyncDisposable
{
    private readonly WebApplication app;

    private InProcessApp(WebApplication app, Uri baseAddress, Sections sections)
    {
        this.app = app;
        BaseAddress = baseAddress;
        Timings = sections;
    }

    public Uri BaseAddress { get; }

    public Sections Timings { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<InProcessApp> StartAsync(IReadOnlyDictionary<string, string?> settings, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(CartCallHost).Assembly.GetName().Name });
        builder.Configuration.AddInMemoryCollection(settings);
        // Errors only on the console: the cost of an Information log per event would be the benchmark's, not the app's.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Error);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        builder.AddCartCall();

        var sections = new Sections();
        builder.Services.AddSingleton(sections);
        builder.Services.AddSingleton<TableSessionStore>();
        builder.Services.AddSingleton<ISessionStore>(sp => new TimedSessionStore(sp.GetRequiredService<TableSessionStore>(), sections));

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var start = Stopwatch.GetTimestamp();
            await next(context).ConfigureAwait(false);
            if (context.Request.Path.Value?.EndsWith("/cart-events", StringComparison.Ordinal) == true)
            {
                sections.Add(Sections.ServerRequest, start);
            }
        });
        app.MapCartCall();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new InProcessApp(app, new Uri($"http://127.0.0.1:{port}/"), sections);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Total time and count per named section, thread-safe, reset between runs.</summary>
public sealed class Sections
{
    public const string ServerRequest = "server: request (routing to response)";
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

    public async Task<string> SaveAsync(LoadedSession loaded, StoredDecision? decision, DateTimeOffset? reevaluateAt, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.SaveAsync(loaded, decision, reevaluateAt, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            sections.Add(Sections.StoreSave, start);
        }
    }

    public Task<IReadOnlyList<StoredDecision>> ListDecisionsAsync(string merchantId, string sessionId, int max, CancellationToken cancellationToken) =>
        inner.ListDecisionsAsync(merchantId, sessionId, max, cancellationToken);
}

/// <summary>Storage clients for the benchmark's own floor measurement, configured as the app configures its own.</summary>
internal static class StorageNamesForFloor
{
    public const string Table = "floorsessions";
    public const string Queue = "floorreevaluate";
    public static readonly string AppSessionsTable = StorageNames.SessionsTable;
}
