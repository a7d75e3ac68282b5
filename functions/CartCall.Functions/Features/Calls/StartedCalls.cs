using CartCall.Functions.Hosting;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// The calls this instance has seen an orchestration for, so a call's callbacks check that its orchestration exists
/// only once per instance. Bounded: forgetting a call only costs one more check.
/// </summary>
public sealed class StartedCalls(IOptions<CacheOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromHours(2);
    private readonly MemoryCache known = BoundedCache.Create(options.Value.SessionEntries, time);

    public bool Known(string callId) => known.TryGetValue(callId, out _);

    public void Remember(string callId) => known.Set(callId, true, BoundedCache.Entry(KeepFor));

    public void Dispose() => known.Dispose();
}
