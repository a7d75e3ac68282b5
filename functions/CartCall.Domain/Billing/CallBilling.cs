namespace CartCall.Domain.Billing;

/// <summary>Everything one ended call posts for the merchant's plan: its rating and the entries it makes.</summary>
public sealed record CallBill(
    CallUsage Call, MerchantPlan Plan, CallRating Rating, Money TelephonyCost, StatementPeriod Period, IReadOnlyList<LedgerTransaction> Transactions);

/// <summary>
/// Turns ended calls and payment results into ledger entries. Pure: the same inputs give the same entries with the
/// same keys, so a replay produces entries the ledger recognises and skips.
/// </summary>
public static class CallBilling
{
    /// <summary>Rates a call under the plan in force on its local start day and lists the entries to post.</summary>
    /// <param name="at">When the call ended: the entries' date (taken from the event, so a replay carries the same).</param>
    public static CallBill Bill(CallUsage call, PlanSchedule schedule, TelephonyTariff tariff, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(tariff);
        var problems = call.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(call));
        }

        var plan = schedule.PlanAt(call.StartedAt);
        var period = StatementPeriod.Of(call.StartedAt, schedule.TimeZoneId);
        var rating = CallRater.Rate(plan, call);
        var cost = tariff.CostOf(call);
        var entries = new List<LedgerTransaction>(2);
        if (LedgerRules.UsageCharge(call, rating, period, at) is { } usage) entries.Add(usage);
        if (LedgerRules.TelephonyCost(call, cost, period, at) is { } telephony) entries.Add(telephony);
        return new CallBill(call, plan, rating, cost, period, entries);
    }

    /// <summary>
    /// The entries for a settled shopper hold: the hold released in full, and when money was captured the payment
    /// and the recharge of the provider's fee. <paramref name="captured"/> null or zero means the hold was cancelled.
    /// </summary>
    /// <exception cref="ArgumentException">A capture above the hold: the one thing a settlement must never do.</exception>
    public static IReadOnlyList<LedgerTransaction> HoldSettled(
        string merchantId, string callId, Money held, Money? captured, ProviderFeeSchedule fees, StatementPeriod period, DateTimeOffset at, string? paymentId)
    {
        ArgumentNullException.ThrowIfNull(fees);
        if (captured is { } c && c > held)
        {
            throw new ArgumentException($"Captured {c} is more than the {held} held.", nameof(captured));
        }

        var entries = new List<LedgerTransaction>(3);
        if (LedgerRules.HoldReleased(merchantId, callId, held, period, at, paymentId) is { } released) entries.Add(released);
        if (captured is { Minor: > 0 } amount)
        {
            var fee = fees.FeeOn(amount);
            if (LedgerRules.ShopperPayment(merchantId, callId, amount, fee, period, at, paymentId) is { } payment) entries.Add(payment);
            if (LedgerRules.FeeRecharge(merchantId, callId, fee, period, at) is { } recharge) entries.Add(recharge);
        }

        return entries;
    }
}
