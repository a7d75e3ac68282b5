using static CartCall.Domain.Billing.LedgerLine;

namespace CartCall.Domain.Billing;

/// <summary>
/// The double-entry rules: which accounts each business event moves. Each method returns null when there is nothing
/// to post (a zero amount), so callers never write empty entries.
/// </summary>
public static class LedgerRules
{
    /// <summary>The merchant owes the call's price: Dr merchant receivable, Cr platform revenue.</summary>
    public static LedgerTransaction? UsageCharge(CallUsage call, CallRating rating, StatementPeriod period, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(rating);
        if (rating.TotalMinor <= 0)
        {
            return null;
        }

        var usage = new UsageDetail(call.Mode, call.Mode == Preferences.CallMode.Phone ? call.DestinationRegion : null, call.StartedAt,
            rating.BillableSeconds, rating.PerCallMinor, rating.Rule.PerMinuteMinor, rating.UsageMinor, rating.PlanId);
        return new LedgerTransaction(call.MerchantId, call.CallId, PostingKind.UsageCharge, period, at, rating.Currency,
            [Dr(LedgerAccount.MerchantReceivable, rating.TotalMinor), Cr(LedgerAccount.PlatformRevenue, rating.TotalMinor)], usage);
    }

    /// <summary>The platform's telephony cost of the call: Dr telephony cost, Cr telephony payable.</summary>
    public static LedgerTransaction? TelephonyCost(CallUsage call, Money cost, StatementPeriod period, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(call);
        return cost.Minor <= 0
            ? null
            : new LedgerTransaction(call.MerchantId, call.CallId, PostingKind.TelephonyCost, period, at, cost.Currency,
                [Dr(LedgerAccount.TelephonyCost, cost.Minor), Cr(LedgerAccount.TelephonyPayable, cost.Minor)]);
    }

    /// <summary>A shopper's card was authorised: Dr shopper holds, Cr hold commitments (memo pair).</summary>
    public static LedgerTransaction? HoldPlaced(string merchantId, string callId, Money hold, StatementPeriod period, DateTimeOffset at, string? paymentId) =>
        hold.Minor <= 0
            ? null
            : new LedgerTransaction(merchantId, callId, PostingKind.HoldPlaced, period, at, hold.Currency,
                [Dr(LedgerAccount.ShopperHolds, hold.Minor), Cr(LedgerAccount.HoldCommitments, hold.Minor)], Reference: paymentId);

    /// <summary>The hold ended (captured, cancelled or expired): the memo pair is reversed in full.</summary>
    public static LedgerTransaction? HoldReleased(string merchantId, string callId, Money hold, StatementPeriod period, DateTimeOffset at, string? paymentId) =>
        hold.Minor <= 0
            ? null
            : new LedgerTransaction(merchantId, callId, PostingKind.HoldReleased, period, at, hold.Currency,
                [Dr(LedgerAccount.HoldCommitments, hold.Minor), Cr(LedgerAccount.ShopperHolds, hold.Minor)], Reference: paymentId);

    /// <summary>
    /// A capture: the provider holds the money less its fee, the merchant is owed the gross.
    /// Dr provider balance (net), Dr payment-provider fees (fee), Cr merchant payable (gross).
    /// </summary>
    public static LedgerTransaction? ShopperPayment(string merchantId, string callId, Money captured, Money fee, StatementPeriod period, DateTimeOffset at, string? paymentId)
    {
        if (captured.Minor <= 0)
        {
            return null;
        }

        var net = captured - fee;
        var lines = new List<LedgerLine>(3);
        if (net.Minor > 0) lines.Add(Dr(LedgerAccount.ProviderBalance, net.Minor));
        if (fee.Minor > 0) lines.Add(Dr(LedgerAccount.PaymentProviderFees, fee.Minor));
        lines.Add(Cr(LedgerAccount.MerchantPayable, captured.Minor));
        return new LedgerTransaction(merchantId, callId, PostingKind.ShopperPayment, period, at, captured.Currency, lines, Reference: paymentId);
    }

    /// <summary>The provider's fee is passed on to the merchant: Dr merchant payable, Cr platform revenue.</summary>
    public static LedgerTransaction? FeeRecharge(string merchantId, string callId, Money fee, StatementPeriod period, DateTimeOffset at) =>
        fee.Minor <= 0
            ? null
            : new LedgerTransaction(merchantId, callId, PostingKind.FeeRecharge, period, at, fee.Currency,
                [Dr(LedgerAccount.MerchantPayable, fee.Minor), Cr(LedgerAccount.PlatformRevenue, fee.Minor)]);

    /// <summary>Money back to the shopper: Dr merchant payable, Cr provider balance.</summary>
    public static LedgerTransaction Refund(string merchantId, string callId, string refundId, Money amount, StatementPeriod period, DateTimeOffset at)
    {
        if (amount.Minor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "A refund must be positive.");
        }

        return new LedgerTransaction(merchantId, $"{callId}/refunds/{refundId}", PostingKind.Refund, period, at, amount.Currency,
            [Dr(LedgerAccount.MerchantPayable, amount.Minor), Cr(LedgerAccount.ProviderBalance, amount.Minor)], Reference: refundId);
    }

    public static string MonthSource(string merchantId, StatementPeriod period) => $"{merchantId}/{period}";

    /// <summary>The month's plan fee: Dr merchant receivable, Cr platform revenue.</summary>
    public static LedgerTransaction? PlanFee(string merchantId, StatementPeriod period, Money fee, DateTimeOffset at, string planId) =>
        fee.Minor <= 0
            ? null
            : new LedgerTransaction(merchantId, MonthSource(merchantId, period), PostingKind.PlanFee, period, at, fee.Currency,
                [Dr(LedgerAccount.MerchantReceivable, fee.Minor), Cr(LedgerAccount.PlatformRevenue, fee.Minor)], Reference: planId);

    /// <summary>The month's included minutes given back: Dr platform revenue, Cr merchant receivable.</summary>
    public static LedgerTransaction? IncludedMinutesCredit(string merchantId, StatementPeriod period, Money credit, DateTimeOffset at, string planId) =>
        credit.Minor <= 0
            ? null
            : new LedgerTransaction(merchantId, MonthSource(merchantId, period), PostingKind.IncludedMinutesCredit, period, at, credit.Currency,
                [Dr(LedgerAccount.PlatformRevenue, credit.Minor), Cr(LedgerAccount.MerchantReceivable, credit.Minor)], Reference: planId);
}

/// <summary>What posting one transaction did.</summary>
public enum PostOutcome
{
    Posted,

    /// <summary>The key was already in the ledger with the same content: a replay, nothing posted.</summary>
    AlreadyPosted,

    /// <summary>The key was already in the ledger with different content: nothing posted, and worth an alert.</summary>
    Conflict,
}

/// <summary>
/// An in-memory journal with the ledger's rules: insert-only by key, balanced entries only. The Table store applies
/// the same rules; this one is for the domain's own checks, tests and the benchmarks' baselines.
/// </summary>
public sealed class Journal
{
    private readonly Dictionary<string, LedgerTransaction> byKey = new(StringComparer.Ordinal);
    private readonly List<LedgerTransaction> ordered = [];

    public IReadOnlyList<LedgerTransaction> Transactions => ordered;

    public bool Contains(string key) => byKey.ContainsKey(key);

    public LedgerTransaction? Find(string key) => byKey.GetValueOrDefault(key);

    /// <exception cref="ArgumentException">The transaction does not balance.</exception>
    public PostOutcome Post(LedgerTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var problems = transaction.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(transaction));
        }

        if (byKey.TryGetValue(transaction.Key, out var existing))
        {
            return existing.SameAs(transaction) ? PostOutcome.AlreadyPosted : PostOutcome.Conflict;
        }

        byKey.Add(transaction.Key, transaction);
        ordered.Add(transaction);
        return PostOutcome.Posted;
    }

    /// <summary>Signed balance (debits minus credits) of every account touched, per currency.</summary>
    public IReadOnlyDictionary<(LedgerAccount Account, string Currency), long> Balances() => Ledgers.Balances(ordered);
}

/// <summary>Balance arithmetic shared by every ledger store.</summary>
public static class Ledgers
{
    public static Dictionary<(LedgerAccount Account, string Currency), long> Balances(IEnumerable<LedgerTransaction> transactions)
    {
        var balances = new Dictionary<(LedgerAccount, string), long>();
        foreach (var t in transactions)
        {
            foreach (var line in t.Lines)
            {
                var key = (line.Account, t.Currency.Code);
                balances[key] = checked(balances.GetValueOrDefault(key) + line.Signed);
            }
        }

        return balances;
    }

    /// <summary>
    /// The double-entry invariants: every entry balances, and so does the whole ledger, per currency.
    /// Returns the violations in words; empty means the books balance.
    /// </summary>
    public static IReadOnlyList<string> CheckInvariants(IEnumerable<LedgerTransaction> transactions)
    {
        var problems = new List<string>();
        var totals = new Dictionary<string, (long Debits, long Credits)>(StringComparer.Ordinal);
        foreach (var t in transactions)
        {
            problems.AddRange(t.Validate());
            var (d, c) = totals.GetValueOrDefault(t.Currency.Code);
            totals[t.Currency.Code] = (checked(d + t.Debits), checked(c + t.Credits));
        }

        foreach (var (currency, (debits, credits)) in totals.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (debits != credits)
            {
                problems.Add(FormattableString.Invariant($"{currency}: total debits {debits} differ from total credits {credits}."));
            }
        }

        return problems;
    }
}
