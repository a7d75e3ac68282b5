using System.Collections.Concurrent;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// The last version of each session this instance wrote or read, as stored bytes plus ETag, bounded in size.
/// It only ever saves a read: every write still carries the ETag, so a stale entry costs one failed save, never a
/// wrong result. Entries are immutable bytes, so callers always decode their own copy.
/// </summary>
public sealed class SessionCache(int capacity = SessionCache.DefaultCapacity)
{
    public const int DefaultCapacity = 20_000;

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public sealed record Entry(byte[] State, string ETag, DateTimeOffset? ReevaluateAt);

    public int Count => entries.Count;

    public Entry? TryGet(string key) => entries.TryGetValue(key, out var entry) ? entry : null;

    public void Set(string key, Entry entry)
    {
        entries[key] = entry;
        if (entries.Count > capacity)
        {
            // Rare, and any entry may go: dropping one only costs its next reader a round trip.
            foreach (var victim in entries.Keys.Take(Math.Max(1, capacity / 10)))
            {
                entries.TryRemove(victim, out _);
            }
        }
    }

    public void Remove(string key) => entries.TryRemove(key, out _);
}
