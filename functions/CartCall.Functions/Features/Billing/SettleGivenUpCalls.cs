namespace CartCall.Functions.Features.Billing;

/// <summary>
/// Settles the calls whose settlement gave up (timer, every 15 minutes), so a payment-provider outage delays a
/// shopper's charge and the merchant's bill by minutes after it ends, not until the daily close. An empty list is one
/// small query. Safe beside the daily close, which settles the same list first: every effect is keyed by the call.
/// </summary>
public sealed partial class SettleGivenUpCalls(CallSettlement settlement, ILogger<SettleGivenUpCalls> logger)
{
    [Function(nameof(SettleGivenUpCalls))]
    public async Task RunAsync([TimerTrigger("0 */15 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var settled = await settlement.SettleGivenUpAsync(cancellationToken).ConfigureAwait(false);
        if (settled > 0)
        {
            LogSettled(logger, settled);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Settled} given-up calls settled")]
    private static partial void LogSettled(ILogger logger, int settled);
}
