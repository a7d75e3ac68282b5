using Microsoft.DurableTask;

namespace CartCall.Functions.Features.Billing;

/// <summary>Why a call's settlement gave up, and when (the orchestration's own time, so a replay passes the same).</summary>
public sealed record GiveUpRequest(string CallId, string Failure, DateTimeOffset At);

/// <summary>
/// Billing's part of the call orchestration: the ended call is metered and settled by one activity whose every effect
/// is keyed by the call id (ledger entries by call and posting kind, the provider's capture or cancel by an
/// idempotency key made from the call id), so a retried activity, a replayed orchestration or a worker killed half way
/// through posts and charges once.
/// </summary>
public sealed partial class BillingActivities(CallSettlement settlement)
{
    /// <summary>
    /// Provider outages last minutes, not seconds: keep trying for about half an hour before the orchestration gives
    /// up and leaves the call to the daily close (see <see cref="SettleAsync"/>).
    /// </summary>
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 12, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    /// <summary>Remembering a given-up call is one Table write: a few quick tries.</summary>
    private static readonly TaskOptions RetriedQuickly = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 5, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>Meters and settles the ended call <paramref name="callId"/>; returns how (null when there is no ended call).</summary>
    [Function(nameof(SettleCallBilling))]
    public async Task<string?> SettleCallBilling([ActivityTrigger] string callId, CancellationToken cancellationToken) =>
        (await settlement.SettleAsync(callId, cancellationToken).ConfigureAwait(false))?.ToString();

    /// <summary>Leaves a call whose settlement gave up to the daily close.</summary>
    [Function(nameof(GiveUpSettlement))]
    public async Task GiveUpSettlement([ActivityTrigger] GiveUpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await settlement.GiveUpAsync(new UnsettledCall(request.CallId, request.Failure, request.At), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The orchestration's call site (pure: it only schedules activities). A settlement that still fails after its
    /// retries does not fail the call, which is over either way: the call is written down for the daily close, which
    /// bills it and captures or cancels its hold once the provider is back.
    /// </summary>
    public static async Task<string?> SettleAsync(TaskOrchestrationContext context, string callId)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await context.CallActivityAsync<string?>(nameof(SettleCallBilling), callId, Retried).ConfigureAwait(true);
        }
        catch (TaskFailedException e)
        {
            var log = context.CreateReplaySafeLogger(nameof(BillingActivities));
            var failure = e.FailureDetails.ErrorMessage;
            LogGaveUp(log, callId, failure);
            try
            {
                await context.CallActivityAsync(nameof(GiveUpSettlement), new GiveUpRequest(callId, failure, context.CurrentUtcDateTime), RetriedQuickly)
                    .ConfigureAwait(true);
            }
            catch (TaskFailedException again)
            {
                // Storage is down too: the hold is still released by the sweep; the bill needs an operator.
                LogLost(log, callId, again.FailureDetails.ErrorMessage);
            }

            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Billing call {CallId} failed after every retry; the daily close tries again: {Failure}")]
    private static partial void LogGaveUp(ILogger logger, string callId, string failure);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Call {CallId} could not be billed nor left to the daily close: {Failure}")]
    private static partial void LogLost(ILogger logger, string callId, string failure);
}
