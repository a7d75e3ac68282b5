using System.Globalization;
using System.Text.Json.Serialization;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Billing;

/// <summary>The ledger's accounts. Names on the wire are snake_case.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LedgerAccount>))]
public enum LedgerAccount
{
    /// <summary>Asset: what merchants owe CartCall for plans and usage.</summary>
    [JsonStringEnumMemberName("merchant_receivable")] MerchantReceivable,

    /// <summary>Income: plan fees, usage, recharged provider fees.</summary>
    [JsonStringEnumMemberName("platform_revenue")] PlatformRevenue,

    /// <summary>Memo asset: shopper money authorised on a card and not yet captured or released.</summary>
    [JsonStringEnumMemberName("shopper_holds")] ShopperHolds,

    /// <summary>Memo contra of <see cref="ShopperHolds"/>: the promise to capture or release each hold.</summary>
    [JsonStringEnumMemberName("hold_commitments")] HoldCommitments,

    /// <summary>Asset: captured shopper money held at the payment provider.</summary>
    [JsonStringEnumMemberName("provider_balance")] ProviderBalance,

    /// <summary>Liability: shopper payments owed on to merchants.</summary>
    [JsonStringEnumMemberName("merchant_payable")] MerchantPayable,

    /// <summary>Expense: what the payment provider keeps of captures.</summary>
    [JsonStringEnumMemberName("payment_provider_fees")] PaymentProviderFees,

    /// <summary>Expense: what calls cost in telephony (e.g. PSTN minutes).</summary>
    [JsonStringEnumMemberName("telephony_cost")] TelephonyCost,

    /// <summary>Liability: telephony cost owed to the carrier.</summary>
    [JsonStringEnumMemberName("telephony_payable")] TelephonyPayable,
}

/// <summary>Why a transaction was posted. With its source (a call, a refund or a month) it is the transaction's key.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PostingKind>))]
public enum PostingKind
{
    [JsonStringEnumMemberName("usage_charge")] UsageCharge,
    [JsonStringEnumMemberName("telephony_cost")] TelephonyCost,
    [JsonStringEnumMemberName("hold_placed")] HoldPlaced,
    [JsonStringEnumMemberName("hold_released")] HoldReleased,
    [JsonStringEnumMemberName("shopper_payment")] ShopperPayment,
    [JsonStringEnumMemberName("fee_recharge")] FeeRecharge,
    [JsonStringEnumMemberName("refund")] Refund,
    [JsonStringEnumMemberName("plan_fee")] PlanFee,
    [JsonStringEnumMemberName("included_minutes_credit")] IncludedMinutesCredit,
}

public static class PostingKinds
{
    public static string Name(PostingKind kind) => kind switch
    {
        PostingKind.UsageCharge => "usage_charge",
        PostingKind.TelephonyCost => "telephony_cost",
        PostingKind.HoldPlaced => "hold_placed",
        PostingKind.HoldReleased => "hold_released",
        PostingKind.ShopperPayment => "shopper_payment",
        PostingKind.FeeRecharge => "fee_recharge",
        PostingKind.Refund => "refund",
        PostingKind.PlanFee => "plan_fee",
        PostingKind.IncludedMinutesCredit => "included_minutes_credit",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string? name, out PostingKind kind)
    {
        foreach (var k in Enum.GetValues<PostingKind>())
        {
            if (Name(k) == name)
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>One side of a transaction: a positive amount debited or credited to an account.</summary>
public sealed record LedgerLine(LedgerAccount Account, bool Debit, long AmountMinor)
{
    public static LedgerLine Dr(LedgerAccount account, long minor) => new(account, true, minor);

    public static LedgerLine Cr(LedgerAccount account, long minor) => new(account, false, minor);

    /// <summary>Debit positive, credit negative: sums of signed amounts are balances.</summary>
    public long Signed => Debit ? AmountMinor : -AmountMinor;
}

/// <summary>What a usage charge was for, so statements can be built from the ledger alone.</summary>
public sealed record UsageDetail(
    CallMode Mode, string? Region, DateTimeOffset StartedAt, int BillableSeconds, long PerCallMinor, long PerMinuteMinor,
    long UsageMinor, string PlanId);

/// <summary>
/// A balanced journal entry in one currency. <see cref="Key"/> (source + kind) is unique in the ledger: posting the
/// same key again posts nothing, which is what makes duplicated and replayed events harmless.
/// </summary>
/// <param name="SourceId">The call id; a refund's <c>{callId}/refunds/{refundId}</c>; a month's <c>{merchantId}/{yyyy-MM}</c>.</param>
/// <param name="Period">The merchant's local month the entry belongs to (its statement).</param>
public sealed record LedgerTransaction(
    string MerchantId,
    string SourceId,
    PostingKind Kind,
    StatementPeriod Period,
    DateTimeOffset OccurredAt,
    Currency Currency,
    IReadOnlyList<LedgerLine> Lines,
    UsageDetail? Usage = null,
    string? Reference = null)
{
    public string Key => KeyOf(SourceId, Kind);

    public static string KeyOf(string sourceId, PostingKind kind) => sourceId + "|" + PostingKinds.Name(kind);

    public long Debits => Lines.Where(l => l.Debit).Sum(l => l.AmountMinor);

    public long Credits => Lines.Where(l => !l.Debit).Sum(l => l.AmountMinor);

    /// <summary>Why the entry may not be posted; empty when it balances and every line is positive.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(MerchantId) || string.IsNullOrWhiteSpace(SourceId))
        {
            problems.Add("a transaction needs a merchant and a source.");
        }

        if (Lines is null || Lines.Count < 2)
        {
            problems.Add($"{Key}: a transaction needs at least two lines.");
            return problems;
        }

        if (Lines.Any(l => l.AmountMinor <= 0))
        {
            problems.Add($"{Key}: every line must be a positive amount.");
        }

        if (Debits != Credits)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{Key}: debits {Debits} differ from credits {Credits}."));
        }

        return problems;
    }

    /// <summary>Same content (what a replay must carry); ignores nothing but reference equality of lists.</summary>
    public bool SameAs(LedgerTransaction other) =>
        other is not null && Key == other.Key && MerchantId == other.MerchantId && Currency == other.Currency
        && Lines.SequenceEqual(other.Lines) && Period == other.Period;
}

/// <summary>A local calendar month of a merchant: the unit of statements and of ledger partitions. JSON: "yyyy-MM".</summary>
[JsonConverter(typeof(StatementPeriodJsonConverter))]
public readonly record struct StatementPeriod(int Year, int Month) : IComparable<StatementPeriod>
{
    public static StatementPeriod Of(DateOnly localDate) => new(localDate.Year, localDate.Month);

    public static StatementPeriod Of(DateTimeOffset at, string timeZoneId) => Of(PlanSchedule.LocalDate(at, timeZoneId));

    public DateOnly FirstDay => new(Year, Month, 1);

    public DateOnly LastDay => FirstDay.AddMonths(1).AddDays(-1);

    public StatementPeriod Next => Of(FirstDay.AddMonths(1));

    public bool Contains(DateOnly date) => date.Year == Year && date.Month == Month;

    public static bool TryParse(string? text, out StatementPeriod period)
    {
        period = default;
        if (text is not { Length: 7 } || text[4] != '-'
            || !int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            || year is < 2000 or > 9998 || month is < 1 or > 12)
        {
            return false;
        }

        period = new StatementPeriod(year, month);
        return true;
    }

    public int CompareTo(StatementPeriod other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    /// <summary>yyyy-MM.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}

/// <summary>
/// Writes a period as "yyyy-MM" (and reads it back): written as an object, its <see cref="StatementPeriod.Next"/>
/// would recurse without end.
/// </summary>
public sealed class StatementPeriodJsonConverter : JsonConverter<StatementPeriod>
{
    public override StatementPeriod Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        StatementPeriod.TryParse(reader.GetString(), out var period)
            ? period
            : throw new System.Text.Json.JsonException("A statement period is a month as yyyy-MM.");

    public override void Write(System.Text.Json.Utf8JsonWriter writer, StatementPeriod value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString());
    }
}
