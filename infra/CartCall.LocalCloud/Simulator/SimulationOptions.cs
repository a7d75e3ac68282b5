using System.Net;

namespace CartCall.LocalCloud.Simulator;

/// <summary>What <c>cartcall-local simulate</c> runs, and against which app.</summary>
public sealed record SimulationOptions
{
    /// <summary>The app's base URL; must be on loopback.</summary>
    public required Uri AppUrl { get; init; }

    public required string MerchantId { get; init; }

    /// <summary>The merchant's webhook signing secret.</summary>
    public required string SigningSecret { get; init; }

    /// <summary>Visits to run; with <see cref="Duration"/> too, whichever ends first.</summary>
    public int? Sessions { get; init; }

    /// <summary>Stop starting visits and sending events after this long.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Most events per second sent, over all visits.</summary>
    public double Rate { get; init; } = 50;

    /// <summary>Visits in flight at once.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Shopper time runs this many times faster than the clock (0: no waiting between a visit's events).</summary>
    public double TimeScale { get; init; } = 300;

    public int Seed { get; init; } = Environment.TickCount;

    /// <summary>Share of events sent twice (same event id), as a storefront's retry would.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Share of events sent after the next one of their visit.</summary>
    public double OutOfOrderRate { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Hard stop for a whole run however it is configured: everything stops by itself.</summary>
    public TimeSpan MaxRunTime { get; init; } = TimeSpan.FromHours(1);

    public ShopperSessionGeneratorOptions Generator { get; init; } = new();

    public const int DefaultSessions = 20;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!LoopbackTarget.IsLoopback(AppUrl))
        {
            problems.Add($"The simulator only sends to loopback (127.0.0.1, ::1 or localhost); '{AppUrl}' is not.");
        }

        if (string.IsNullOrWhiteSpace(MerchantId))
        {
            problems.Add("A merchant id is required.");
        }

        if (string.IsNullOrWhiteSpace(SigningSecret))
        {
            problems.Add("The merchant's signing secret is required (--secret, or a running cartcall-local up).");
        }

        if (Sessions is < 1 or > 1_000_000)
        {
            problems.Add("--sessions must be between 1 and 1,000,000.");
        }

        if (Duration is { } d && (d <= TimeSpan.Zero || d > MaxRunTime))
        {
            problems.Add($"--duration must be positive and at most {MaxRunTime.TotalMinutes:0} minutes.");
        }

        if (double.IsNaN(Rate) || Rate is <= 0 or > 100_000)
        {
            problems.Add("--rate must be between 0 and 100,000 events per second.");
        }

        if (Concurrency is < 1 or > 1024)
        {
            problems.Add("--concurrency must be between 1 and 1024.");
        }

        if (double.IsNaN(TimeScale) || TimeScale < 0)
        {
            problems.Add("--time-scale must be 0 (no waiting) or positive.");
        }

        if (double.IsNaN(DuplicateRate) || DuplicateRate is < 0 or > 1)
        {
            problems.Add("--duplicate-rate must be between 0 and 1.");
        }

        if (double.IsNaN(OutOfOrderRate) || OutOfOrderRate is < 0 or > 1)
        {
            problems.Add("--out-of-order-rate must be between 0 and 1.");
        }

        return problems;
    }
}

/// <summary>The simulator's network rule: it only ever talks to this machine.</summary>
public static class LoopbackTarget
{
    public static bool IsLoopback(Uri? url) =>
        url is { IsAbsoluteUri: true } u
        && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)
        && (string.Equals(u.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(u.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)));
}
