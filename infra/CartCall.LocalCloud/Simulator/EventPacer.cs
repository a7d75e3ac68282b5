using System.Diagnostics;

namespace CartCall.LocalCloud.Simulator;

/// <summary>
/// Spaces sends evenly at most <c>rate</c> per second across all senders: each caller is given the next free slot
/// and waits for it. No bursts after a pause: a slot in the past is moved to now.
/// </summary>
public sealed class EventPacer
{
    private readonly long interval;
    private readonly Lock gate = new();
    private long next;

    public EventPacer(double eventsPerSecond)
    {
        if (double.IsNaN(eventsPerSecond) || eventsPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(eventsPerSecond), eventsPerSecond, "The rate must be positive.");
        }

        interval = Math.Max(1, (long)(Stopwatch.Frequency / eventsPerSecond));
        next = Stopwatch.GetTimestamp();
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        long slot;
        var now = Stopwatch.GetTimestamp();
        lock (gate)
        {
            slot = Math.Max(next, now);
            next = slot + interval;
        }

        var wait = Stopwatch.GetElapsedTime(now, slot);
        return wait <= TimeSpan.FromMilliseconds(1) ? Task.CompletedTask : Task.Delay(wait, cancellationToken);
    }
}
