using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Features.BrowserEvents;

/// <summary>Rate limits of the browser's cart events. Bound from <c>CartCall:BrowserEvents</c>.</summary>
public sealed class BrowserEventOptions
{
    public const string Section = "CartCall:BrowserEvents";

    /// <summary>Events one (merchant, session) may send per window.</summary>
    [Range(1, 100_000)]
    public int PerSessionLimit { get; set; } = 60;

    /// <summary>Events one client address may send to one merchant per window (several tabs, a shared NAT).</summary>
    [Range(1, 1_000_000)]
    public int PerAddressLimit { get; set; } = 240;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Windows tracked at most per instance before stale ones are swept, bounding memory under a flood.</summary>
    [Range(100, 10_000_000)]
    public int MaxTrackedKeys { get; set; } = 100_000;
}
