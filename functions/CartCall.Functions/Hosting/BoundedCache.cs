using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;

namespace CartCall.Functions.Hosting;

/// <summary>How many entries each per-instance cache may hold. Bound from <c>CartCall:Caches</c>.</summary>
public sealed class CacheOptions
{
    public const string Section = "CartCall:Caches";

    /// <summary>Merchants (and merchant ids found not to exist) read by id from routes.</summary>
    [Range(100, 10_000_000)]
    public int MerchantEntries { get; set; } = 10_000;

    /// <summary>Per-merchant counts of available agents, for the offer policy.</summary>
    [Range(100, 10_000_000)]
    public int AgentPresenceEntries { get; set; } = 10_000;

    /// <summary>Sessions this instance last wrote or read (session ids are the storefront's, or the browser's, to choose).</summary>
    [Range(100, 10_000_000)]
    public int SessionEntries { get; set; } = 20_000;
}

/// <summary>
/// The per-instance caches keyed by values a caller chooses (merchant ids in routes, session ids in bodies) must not
/// grow with whatever a caller sends: each is a <see cref="MemoryCache"/> with a <see cref="MemoryCacheOptions.SizeLimit"/>
/// and every entry of size 1, so a full cache admits nothing new until its compaction (expired entries first, then
/// the least recently used) has made room. Expiry runs on the app's <see cref="TimeProvider"/>.
/// </summary>
public static class BoundedCache
{
    public static MemoryCache Create(int capacity, TimeProvider? time = null) => new(new MemoryCacheOptions
    {
        SizeLimit = capacity,
        // Make room in larger steps than the default 5 %, so a flood of new keys does not compact on every miss.
        CompactionPercentage = 0.2,
        Clock = time is null ? null : new Clock(time),
    });

    /// <summary>An entry of size 1 that lives <paramref name="lifetime"/> (or until evicted); <paramref name="priority"/> orders evictions.</summary>
    public static MemoryCacheEntryOptions Entry(TimeSpan? lifetime = null, CacheItemPriority priority = CacheItemPriority.Normal) => new()
    {
        Size = 1,
        AbsoluteExpirationRelativeToNow = lifetime,
        Priority = priority,
    };

    /// <summary>MemoryCache predates <see cref="TimeProvider"/> and takes its clock as an <see cref="ISystemClock"/>.</summary>
    private sealed class Clock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
