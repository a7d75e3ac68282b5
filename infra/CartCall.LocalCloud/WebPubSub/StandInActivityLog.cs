namespace CartCall.LocalCloud.WebPubSub;

/// <summary>One thing the stand-in did or dropped, for the <c>/_standin/log</c> debugging view.</summary>
/// <param name="Kind">e.g. <c>connected</c>, <c>sent</c>, <c>dropped</c>, <c>rejected</c>.</param>
/// <param name="Target">user, group, connection or hub the entry is about.</param>
/// <param name="Recipients">connections the message reached (0 for a drop).</param>
public sealed record StandInActivity(
    DateTimeOffset Time,
    string Kind,
    string Hub,
    string Target,
    int Recipients,
    string? DataType,
    string? Data,
    string? Detail);

/// <summary>A bounded ring of recent activity: the service drops undeliverable messages silently, the stand-in remembers them.</summary>
internal sealed class StandInActivityLog(int capacity, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Queue<StandInActivity> _entries = new();

    public void Add(string kind, string hub, string target, int recipients, string? dataType = null, string? data = null, string? detail = null)
    {
        var entry = new StandInActivity(time.GetUtcNow(), kind, hub, target, recipients, dataType, Truncate(data), detail);
        lock (_gate)
        {
            _entries.Enqueue(entry);
            while (_entries.Count > capacity)
            {
                _entries.Dequeue();
            }
        }
    }

    public IReadOnlyList<StandInActivity> Snapshot()
    {
        lock (_gate)
        {
            return [.. _entries];
        }
    }

    private static string? Truncate(string? data) => data is { Length: > 2000 } ? data[..2000] + "…" : data;
}
