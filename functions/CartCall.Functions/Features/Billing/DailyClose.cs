namespace CartCall.Functions.Features.Billing;

/// <summary>
/// The daily close (timer, 02:30 UTC): settles calls whose settlement gave up, then cancels holds that outlived their
/// call, and in the first days of each merchant's month posts the month before's plan fee and included-minutes credit.
/// Idempotent, so a missed or repeated run is harmless; a failure escapes so the host logs it and the next run catches up.
/// </summary>
public sealed partial class DailyClose(CallSettlement settlement, BillingService billing, StatementService statements, ILogger<DailyClose> logger)
{
    [Function(nameof(DailyClose))]
    public async Task RunAsync([TimerTrigger("0 30 2 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        // First: a given-up call's hold is captured for its talk time rather than swept as if the call never happened.
        var late = await settlement.SettleGivenUpAsync(cancellationToken).ConfigureAwait(false);
        var report = await billing.DailyCloseAsync(statements, cancellationToken).ConfigureAwait(false);
        LogClosed(logger, late, report.HoldsSwept, report.MonthsClosed.Count, string.Join(", ", report.MonthsClosed));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Daily close: {Late} given-up calls settled, {Swept} holds swept, {Months} months closed ({Closed})")]
    private static partial void LogClosed(ILogger logger, int late, int swept, int months, string closed);
}
