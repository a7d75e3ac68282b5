using System.Globalization;
using System.Text;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Billing;

/// <summary>Usage of one mode and destination region in a month.</summary>
public sealed record StatementUsageLine(CallMode Mode, string? Region, int Calls, long BillableSeconds, long ChargeMinor);

/// <summary>
/// A merchant's month: usage, charges (plan fee + usage − included minutes), shopper payments, refunds, provider fees,
/// and the net. Net &gt; 0: CartCall owes the merchant (shopper payments exceeded charges); net &lt; 0: the merchant owes.
/// All amounts are minor units of <see cref="Currency"/>.
/// </summary>
public sealed record MonthlyStatement(
    string MerchantId,
    StatementPeriod Period,
    string TimeZone,
    string Currency,
    string PlanId,
    int BilledCalls,
    long BillableSeconds,
    IReadOnlyList<StatementUsageLine> Usage,
    long MonthlyFeeMinor,
    long UsageChargesMinor,
    int IncludedMinutes,
    long IncludedMinutesCreditMinor,
    long ChargesMinor,
    int ShopperPaymentCount,
    long ShopperPaymentsMinor,
    long RefundsMinor,
    long FeesMinor,
    long NetMinor,
    bool Closed)
{
    public const string CsvHeader = "merchant_id,period,currency,line,mode,region,calls,billable_seconds,amount_minor,amount";
}

/// <summary>Builds statements from ledger entries alone, so a statement always agrees with the books.</summary>
public static class StatementBuilder
{
    /// <summary>
    /// The statement of <paramref name="period"/> from the merchant's entries of that period. Until the month is closed
    /// (plan fee and included-minutes credit posted) those two are computed from <paramref name="plan"/>, the plan in
    /// force on the month's first day, exactly as the close will post them.
    /// </summary>
    public static MonthlyStatement Build(
        string merchantId, StatementPeriod period, string timeZone, MerchantPlan plan, IEnumerable<LedgerTransaction> entries)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(entries);
        var currency = plan.CurrencyInfo;
        var usage = new Dictionary<(CallMode, string?), (int Calls, long Seconds, long Charge)>();
        var usageCalls = new List<(string, DateTimeOffset, int, long, long)>();
        long usageCharges = 0, payments = 0, refunds = 0, fees = 0, seconds = 0;
        long? postedFee = null, postedCredit = null;
        int paymentCount = 0, calls = 0;
        foreach (var e in entries)
        {
            if (e.MerchantId != merchantId || e.Period != period || e.Currency != currency)
            {
                // Telephony cost may be in the platform's currency; it is the platform's, not on the merchant's statement.
                continue;
            }

            var amount = e.Debits;
            switch (e.Kind)
            {
                case PostingKind.UsageCharge when e.Usage is { } u:
                    calls++;
                    seconds += u.BillableSeconds;
                    usageCharges += amount;
                    var key = (u.Mode, u.Region);
                    var (c, s, ch) = usage.GetValueOrDefault(key);
                    usage[key] = (c + 1, s + u.BillableSeconds, ch + amount);
                    usageCalls.Add((e.SourceId, u.StartedAt, u.BillableSeconds, u.PerMinuteMinor, u.UsageMinor));
                    break;
                case PostingKind.ShopperPayment:
                    paymentCount++;
                    payments += e.Credits;
                    break;
                case PostingKind.FeeRecharge:
                    fees += amount;
                    break;
                case PostingKind.Refund:
                    refunds += amount;
                    break;
                case PostingKind.PlanFee:
                    postedFee = amount;
                    break;
                case PostingKind.IncludedMinutesCredit:
                    postedCredit = amount;
                    break;
            }
        }

        var closed = postedFee is not null || postedCredit is not null;
        var fee = closed ? postedFee ?? 0 : plan.MonthlyFeeMinor;
        var credit = closed
            ? postedCredit ?? 0
            : IncludedMinutes.Allocate(plan.IncludedMinutes, usageCalls).Values.Sum();
        var charges = checked(fee + usageCharges - credit);
        var lines = usage
            .OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
            .Select(kv => new StatementUsageLine(kv.Key.Item1, kv.Key.Item2, kv.Value.Calls, kv.Value.Seconds, kv.Value.Charge))
            .ToList();
        return new MonthlyStatement(merchantId, period, timeZone, currency.Code, plan.Id, calls, seconds, lines, fee, usageCharges,
            plan.IncludedMinutes, credit, charges, paymentCount, payments, refunds, fees, checked(payments - refunds - fees - charges), closed);
    }

    /// <summary>The entries that close the month: the plan fee and the included-minutes credit the statement shows.</summary>
    public static IReadOnlyList<LedgerTransaction> CloseEntries(MonthlyStatement statement, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var currency = Billing.Currency.Of(statement.Currency);
        var entries = new List<LedgerTransaction>(2);
        if (LedgerRules.PlanFee(statement.MerchantId, statement.Period, new Money(statement.MonthlyFeeMinor, currency), at, statement.PlanId) is { } fee)
            entries.Add(fee);
        if (LedgerRules.IncludedMinutesCredit(statement.MerchantId, statement.Period, new Money(statement.IncludedMinutesCreditMinor, currency), at, statement.PlanId) is { } credit)
            entries.Add(credit);
        return entries;
    }

    /// <summary>RFC 4180 CSV: one header, a row per usage line, then one row per total.</summary>
    public static string ToCsv(MonthlyStatement s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var currency = Billing.Currency.Of(s.Currency);
        var sb = new StringBuilder();
        sb.Append(MonthlyStatement.CsvHeader).Append("\r\n");
        void Row(string line, string mode, string region, string calls, string secs, long amount) =>
            sb.Append(Csv(s.MerchantId)).Append(',').Append(s.Period.ToString()).Append(',').Append(s.Currency).Append(',')
              .Append(line).Append(',').Append(mode).Append(',').Append(Csv(region)).Append(',').Append(calls).Append(',')
              .Append(secs).Append(',').Append(amount.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(new Money(amount, currency).ToMajor().ToString("F" + currency.Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))
              .Append("\r\n");
        foreach (var u in s.Usage)
        {
            Row("usage", u.Mode == CallMode.Phone ? "phone" : "browser", u.Region ?? "", I(u.Calls), I(u.BillableSeconds), u.ChargeMinor);
        }

        Row("usage_total", "", "", I(s.BilledCalls), I(s.BillableSeconds), s.UsageChargesMinor);
        Row("monthly_fee", "", "", "", "", s.MonthlyFeeMinor);
        Row("included_minutes_credit", "", "", "", I(s.IncludedMinutes * 60L), -s.IncludedMinutesCreditMinor);
        Row("charges", "", "", "", "", s.ChargesMinor);
        Row("shopper_payments", "", "", I(s.ShopperPaymentCount), "", s.ShopperPaymentsMinor);
        Row("refunds", "", "", "", "", -s.RefundsMinor);
        Row("fees", "", "", "", "", -s.FeesMinor);
        Row("net", "", "", "", "", s.NetMinor);
        return sb.ToString();
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || value.StartsWith(' ') || value.EndsWith(' ')
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
}
