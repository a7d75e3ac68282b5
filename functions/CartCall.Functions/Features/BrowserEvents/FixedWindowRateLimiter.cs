using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.BrowserEvents;

/// <summary>
/// Fixed-window counters keyed by string. In memory, per instance: with N instances a key can get up to N times
/// the limit. That is acceptable here, because the limit protects the pipeline from a runaway or hostile page,
/// not a billing boundary, and the Functions host spreads one client's requests over few instances. A shared
/// limit would cost a storage round trip per event.
/// </summary>
public sealed class FixedWindowRateLimiter(IOptions<BrowserEventOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Window> windows = new(StringComparer.Ordinal);
    private long lastSweepTicks;

    /// <summary>How many windows are held (for tests of the sweep).</summary>
    internal int TrackedKeys => windows.Count;

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;

        public int Count;
    }

    /// <summary>Counts one hit on <paramref name="key"/>; null when within <paramref name="limit"/>, else how long until the window resets.</summary>
    public TimeSpan? TryAcquire(string key, int limit)
    {
        var o = options.Value;
        var now = time.GetUtcNow();
        if (windows.Count > o.MaxTrackedKeys)
        {
            Sweep(now, o.Window, o.MaxTrackedKeys);
        }

        while (true)
        {
            var window = windows.GetOrAdd(key, static (_, start) => new Window(start), now);
            if (now - window.Start >= o.Window)
            {
                // Expired: replace it, unless another request already did.
                windows.TryUpdate(key, new Window(now), window);
                continue;
            }

            return Interlocked.Increment(ref window.Count) <= limit ? null : window.Start + o.Window - now;
        }
    }

    private void Sweep(DateTimeOffset now, TimeSpan length, int max)
    {
        // At most one sweep a second, so a flood of new keys does not turn every request into a full scan.
        var last = Interlocked.Read(ref lastSweepTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerSecond || Interlocked.CompareExchange(ref lastSweepTicks, now.UtcTicks, last) != last)
        {
            return;
        }

        foreach (var (key, window) in windows)
        {
            if (now - window.Start >= length)
            {
                windows.TryRemove(new KeyValuePair<string, Window>(key, window));
            }
        }

        if (windows.Count > max)
        {
            // Still flooded with live keys: forget them all rather than grow without bound; limits restart.
            windows.Clear();
        }
    }
}
