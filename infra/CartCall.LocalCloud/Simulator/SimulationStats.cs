namespace CartCall.LocalCloud.Simulator;

/// <summary>A snapshot while a run is going, for the progress display.</summary>
public sealed record SimulationProgress(int SessionsStarted, int SessionsFinished, long EventsSent, long OffersProposed, int? SessionTarget);

/// <summary>What a run did, as the summary table shows it.</summary>
public sealed record SimulationSummary(
    int Seed,
    int SessionsStarted,
    int SessionsFinished,
    int SessionsCompleted,
    int SessionsAbandoned,
    long EventsSent,
    long Accepted,
    long Duplicates,
    long ClientErrors,
    long ServerErrors,
    long TransportErrors,
    long OffersProposed,
    LatencySummary Latency,
    TimeSpan Elapsed,
    IReadOnlyDictionary<int, long> StatusCounts,
    IReadOnlyList<string> SampleErrors)
{
    public double EventsPerSecond => Elapsed > TimeSpan.Zero ? EventsSent / Elapsed.TotalSeconds : 0;
}

public sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Nearest-rank percentiles over every sample (a run keeps them all: a few MB at most).</summary>
    public static LatencySummary From(IReadOnlyCollection<double> samplesMs)
    {
        ArgumentNullException.ThrowIfNull(samplesMs);
        if (samplesMs.Count == 0)
        {
            return Empty;
        }

        var sorted = samplesMs.Order().ToArray();
        return new LatencySummary(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99), sorted[^1], sorted.Average());
    }

    public static double Percentile(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
