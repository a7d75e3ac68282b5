using CartCall.Functions.Hosting;
using Microsoft.Extensions.Caching.Memory;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// The last version of each session this instance wrote or read, as stored bytes plus ETag, bounded in size (a
/// <see cref="BoundedCache"/>: the least recently used go first). It only ever saves a read: every write still carries
/// the ETag, so a stale or evicted entry costs one failed save or one read, never a wrong result. Entries are
/// immutable bytes, so callers always decode their own copy.
/// </summary>
public sealed class SessionCache(int capacity = SessionCache.DefaultCapacity) : IDisposable
{
    public const int DefaultCapacity = 20_000;

    private readonly MemoryCache entries = BoundedCache.Create(capacity);

    public sealed record Entry(byte[] State, string ETag, DateTimeOffset? ReevaluateAt);

    public int Count => entries.Count;

    public Entry? TryGet(string key) => entries.TryGetValue(key, out Entry? entry) ? entry : null;

    public void Set(string key, Entry entry) => entries.Set(key, entry, BoundedCache.Entry());

    public void Remove(string key) => entries.Remove(key);

    public void Dispose() => entries.Dispose();
}
