using Azure;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// Settles one ended call by its id, from its final record: rates and posts it, captures or cancels the shopper's hold,
/// and counts what it was billed against the merchant's daily spending budget. Every effect is keyed by the call, so it
/// runs as often as needed: the orchestration's activity, its retries, and the daily close for calls it gave up on.
/// </summary>
public sealed partial class CallSettlement(
    TableCallStore calls, BillingService billing, IMerchantStore merchants, TableDailySpend spend, TableUnsettledCalls unsettled,
    ILogger<CallSettlement> logger)
{
    /// <summary>How the call was billed; null when <paramref name="callId"/> is not an ended call.</summary>
    public async Task<CallBillingOutcome?> SettleAsync(string callId, CancellationToken cancellationToken)
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
        // day it ended, once per call however often this runs.
        if (result is { Outcome: CallBillingOutcome.Billed, Rating: { TotalMinor: > 0 } rating }
            && await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false) is { } merchant)
        {
            await spend.AddAsync(merchant.Id, merchant.LocalDate(call.EndedAt.Value), callId, rating.Total, cancellationToken).ConfigureAwait(false);
        }

        return result.Outcome;
    }

    /// <summary>Remembers a call whose settlement gave up, for <see cref="SettleGivenUpAsync"/>.</summary>
    public Task GiveUpAsync(UnsettledCall call, CancellationToken cancellationToken) => unsettled.AddAsync(call, cancellationToken);

    /// <summary>
    /// Settles every call the orchestration gave up on; one that fails again stays for the next close. Returns how many
    /// were settled.
    /// </summary>
    public async Task<int> SettleGivenUpAsync(CancellationToken cancellationToken)
    {
        var settled = 0;
        await foreach (var call in unsettled.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var outcome = await SettleAsync(call.CallId, cancellationToken).ConfigureAwait(false);
                await unsettled.RemoveAsync(call.CallId, cancellationToken).ConfigureAwait(false);
                LogSettledLate(logger, call.CallId, outcome?.ToString() ?? "not an ended call", call.GaveUpAt);
                settled++;
            }
            catch (Exception e) when (e is PaymentProviderUnavailableException or RequestFailedException or Storage.ConcurrencyConflictException)
            {
                LogStillUnsettled(logger, call.CallId, e.Message);
            }
        }

        return settled;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} is not an ended call; nothing to bill")]
    private static partial void LogNotEnded(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {CallId} could not be billed: {Problems}")]
    private static partial void LogInvalid(ILogger logger, string callId, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}, given up on at {GaveUpAt}, settled by the daily close: {Outcome}")]
    private static partial void LogSettledLate(ILogger logger, string callId, string outcome, DateTimeOffset gaveUpAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} is still not settled; the next daily close tries again: {Error}")]
    private static partial void LogStillUnsettled(ILogger logger, string callId, string error);
}
