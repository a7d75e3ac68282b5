using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.BrowserEvents;

/// <summary>
/// Fixed-window limits on browser events, keyed by string, with System.Threading.RateLimiting's
/// <see cref="PartitionedRateLimiter"/> and one <see cref="FixedWindowRateLimiter"/> partition per key. In memory, per
/// instance: with N instances a key can get up to N times the limit. That is acceptable here, because the limit
/// protects the pipeline from a runaway or hostile page, not a billing boundary; a shared limit would cost a storage
/// round trip per event.
/// <para>
/// Time. The framework's limiters measure their windows with <c>Stopwatch</c> and take no <see cref="TimeProvider"/>.
/// So the window is decided here, by the app's clock: windows are aligned to <see cref="BrowserEventOptions.Window"/>
/// on the app's <see cref="TimeProvider"/>, and each window gets a partitioned limiter of its own, replaced (and the
/// old one disposed) when the clock enters the next window. Partitions replenish manually: the partitioned limiter's
/// own heartbeat asks, and a partition gives permits back only once a whole window has passed since it was made,
/// which on the real clock is after its window has been replaced. So a window's permits are the limit, and tests
/// that move the app's clock move the windows.
/// </para>
/// <para>
/// Memory. A window tracks at most <see cref="BrowserEventOptions.MaxTrackedKeys"/> keys: a flood of new keys (session
/// ids are the caller's to choose) past that starts the window's limiter afresh rather than grow without bound.
/// </para>
/// </summary>
public sealed class BrowserEventLimiter : IDisposable
{
    private readonly BrowserEventOptions options;
    private readonly TimeProvider time;
    private readonly object swap = new();
    private Generation current;

    public BrowserEventLimiter(IOptions<BrowserEventOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.time = time ?? throw new ArgumentNullException(nameof(time));
        current = new Generation(WindowOf(time.GetUtcNow()), this.options.Window);
    }

    /// <summary>How many keys the current window tracks (for tests of the bound).</summary>
    internal int TrackedKeys => Volatile.Read(ref current).Keys;

    /// <summary>Counts one hit on <paramref name="key"/>; null when within <paramref name="limit"/>, else how long until the window resets.</summary>
    public TimeSpan? TryAcquire(string key, int limit)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = time.GetUtcNow();
        var window = WindowOf(now);
        while (true)
        {
            var generation = Current(window);
            try
            {
                using var lease = generation.Limiter.AttemptAcquire((key, limit));
                return lease.IsAcquired ? null : WindowStart(window + 1) - now;
            }
            catch (ObjectDisposedException)
            {
                // Replaced by another request meanwhile (a new window, or the key bound): count on the new one.
            }
        }
    }

    public void Dispose() => current.Limiter.Dispose();

    private Generation Current(long window)
    {
        var generation = Volatile.Read(ref current);
        if (generation.Window == window && generation.Keys <= options.MaxTrackedKeys)
        {
            return generation;
        }

        lock (swap)
        {
            generation = current;
            if (generation.Window != window || generation.Keys > options.MaxTrackedKeys)
            {
                // A new window starts afresh; so does a window flooded with live keys (its limits restart).
                var next = new Generation(window, options.Window);
                Volatile.Write(ref current, next);
                generation.Limiter.Dispose();
                generation = next;
            }

            return generation;
        }
    }

    private long WindowOf(DateTimeOffset now) => now.UtcTicks / options.Window.Ticks;

    private DateTimeOffset WindowStart(long window) => new(window * options.Window.Ticks, TimeSpan.Zero);

    /// <summary>One window's limiter, partitioned by key, each partition a fixed window of the key's limit.</summary>
    private sealed class Generation
    {
        private int keys;

        public Generation(long window, TimeSpan length)
        {
            Window = window;
            Limiter = PartitionedRateLimiter.Create<(string Key, int Limit), string>(request =>
                RateLimitPartition.Get(request.Key, _ =>
                {
                    Interlocked.Increment(ref keys);
                    return new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = request.Limit,
                        Window = length,
                        QueueLimit = 0,
                        AutoReplenishment = false,
                    });
                }));
        }

        public long Window { get; }

        public PartitionedRateLimiter<(string Key, int Limit)> Limiter { get; }

        public int Keys => Volatile.Read(ref keys);
    }
}
