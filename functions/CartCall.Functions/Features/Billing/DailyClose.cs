namespace CartCall.Functions.Features.Billing;

/// <summary>
/// The daily close (timer, 02:30 UTC): cancels holds that outlived their call, and in the first days of each
/// merchant's month posts the month before's plan fee and included-minutes credit. Idempotent, so a missed or repeated
/// run is harmless; a failure escapes so the host logs it and the next run catches up.
/// </summary>
public sealed partial class DailyClose(BillingService billing, StatementService statements, ILogger<DailyClose> logger)
{
    [Function(nameof(DailyClose))]
    public async Task RunAsync([TimerTrigger("0 30 2 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var report = await billing.DailyCloseAsync(statements, cancellationToken).ConfigureAwait(false);
        LogClosed(logger, report.HoldsSwept, report.MonthsClosed.Count, string.Join(", ", report.MonthsClosed));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Daily close: {Swept} holds swept, {Months} months closed ({Closed})")]
    private static partial void LogClosed(ILogger logger, int swept, int months, string closed);
}
