using System.Diagnostics;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// The outbox's backstop: every minute, carries out the outbox rows written more than a minute ago, which means their
/// dispatch was interrupted (a crash after the save) and nobody retried (the storefront gave up, the drain message was
/// poisoned). It scans every session partition's outbox range; a run stops after <see cref="RunBudget"/> and the next
/// run continues where it left off, so a large table is swept in turns rather than in one long run.
/// </summary>
public sealed partial class OutboxSweeper(ISessionStore sessions, OutboxDispatcher dispatcher, TimeProvider time, ILogger<OutboxSweeper> logger)
{
    /// <summary>Rows younger than this are still being carried out by their writer or the drain function.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromMinutes(1);

    /// <summary>One run's share of the scan: well inside the timer's one-minute period.</summary>
    public static readonly TimeSpan RunBudget = TimeSpan.FromSeconds(40);

    private readonly SemaphoreSlim running = new(1, 1);
    private string? continuation;

    /// <summary>What one sweep did.</summary>
    public sealed record SweepResult(int Found, int Failed, bool Finished);

    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        if (!await running.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return new SweepResult(0, 0, false);
        }

        try
        {
            var started = Stopwatch.GetTimestamp();
            var cutoff = time.GetUtcNow() - MinimumAge;
            int found = 0, failed = 0;
            do
            {
                var page = await sessions.ScanOutboxAsync(cutoff, continuation, cancellationToken).ConfigureAwait(false);
                continuation = page.Continuation;
                found += page.Entries.Count;
                foreach (var group in page.Entries.GroupBy(e => (e.MerchantId, e.SessionId)))
                {
                    LogSweeping(group.Key.MerchantId, group.Key.SessionId, group.Count());
                    if (!await dispatcher.DispatchFoundAsync([.. group], cancellationToken).ConfigureAwait(false))
                    {
                        failed++;
                    }
                }
            }
            while (continuation is not null && Stopwatch.GetElapsedTime(started) < RunBudget);

            return new SweepResult(found, failed, continuation is null);
        }
        finally
        {
            running.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sweeper found {Count} outbox rows of session {MerchantId}/{SessionId} left behind; carrying them out")]
    private partial void LogSweeping(string merchantId, string sessionId, int count);
}

/// <summary>Timer-triggered, every minute: <see cref="OutboxSweeper"/>.</summary>
public sealed class SweepOutbox(OutboxSweeper sweeper)
{
    [Function(nameof(SweepOutbox))]
    public Task RunAsync([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
