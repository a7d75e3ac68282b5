using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using Microsoft.DurableTask;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// Billing's part of the call orchestration: the ended call is metered and settled by one activity whose every effect
/// is keyed by the call id (ledger entries by call and posting kind, the provider's capture or cancel by an
/// idempotency key made from the call id), so a retried activity, a replayed orchestration or a worker killed half way
/// through posts and charges once.
/// </summary>
public sealed partial class BillingActivities(
    TableCallStore calls, BillingService billing, IMerchantStore merchants, TableDailySpend spend, ILogger<BillingActivities> logger)
{
    /// <summary>
    /// Provider outages last minutes, not seconds: keep trying for about half an hour before the orchestration gives
    /// up (the hold is then released by the daily sweep; see <see cref="SettleAsync"/>).
    /// </summary>
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 12, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    /// <summary>Meters and settles the ended call <paramref name="callId"/>; returns how (null when there is no ended call).</summary>
    [Function(nameof(SettleCallBilling))]
    public async Task<string?> SettleCallBilling([ActivityTrigger] string callId, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (call?.EndedAt is null)
        {
            LogNotEnded(logger, callId);
            return null;
        }

        var region = call.Mode == CallMode.Phone && call.ShopperPhone is { } phone ? PhoneNumbers.Check(phone, null).RegionCode : null;
        var result = await billing.SettleCallAsync(CallEndedBilling.From(CallEnded.From(call), region), cancellationToken).ConfigureAwait(false);
        if (result.Outcome == CallBillingOutcome.Invalid)
        {
            LogInvalid(logger, callId, string.Join(" ", result.Problems));
        }

        // Budget feedback: what the call was billed counts against the merchant's daily spending budget, on the local
        // day it ended, once per call however often this activity runs.
        if (result is { Outcome: CallBillingOutcome.Billed, Rating: { TotalMinor: > 0 } rating }
            && await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false) is { } merchant)
        {
            await spend.AddAsync(merchant.Id, merchant.LocalDate(call.EndedAt.Value), callId, rating.Total, cancellationToken).ConfigureAwait(false);
        }

        return result.Outcome.ToString();
    }

    /// <summary>
    /// The orchestration's call site (pure: it only schedules the activity). A settlement that still fails after its
    /// retries does not fail the call: the call is over either way; the failure is in the orchestration's history.
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
            LogGaveUp(log, callId, e.FailureDetails.ErrorMessage);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} is not an ended call; nothing to bill")]
    private static partial void LogNotEnded(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {CallId} could not be billed: {Problems}")]
    private static partial void LogInvalid(ILogger logger, string callId, string problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "Billing call {CallId} failed after every retry: {Failure}")]
    private static partial void LogGaveUp(ILogger logger, string callId, string failure);
}
