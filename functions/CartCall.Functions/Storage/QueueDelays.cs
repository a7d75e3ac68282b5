namespace CartCall.Functions.Storage;

/// <summary>Visibility delays for queue messages that are due at a later time (re-evaluations, unused-hold checks).</summary>
public static class QueueDelays
{
    /// <summary>Queue messages live 7 days; a delay is kept below that, which only guards the arithmetic.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(6);

    /// <summary>
    /// The delay for a message due in <paramref name="untilDue"/>. Queues count whole seconds, so it is rounded up: a
    /// message is never handed out before it is due.
    /// </summary>
    public static TimeSpan Until(TimeSpan untilDue) =>
        untilDue <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Ceiling(Math.Min(untilDue.TotalSeconds, Max.TotalSeconds)));
}
