using CartCall.Domain.Billing;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Billing;

/// <summary>One journal entry as the admin API shows it.</summary>
public sealed record LedgerEntryView(
    string Key, string SourceId, string Kind, string Period, DateTimeOffset OccurredAt, string Currency, IReadOnlyList<LedgerLine> Lines, string? Reference)
{
    public static LedgerEntryView From(LedgerTransaction t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(t.Key, t.SourceId, PostingKinds.Name(t.Kind), t.Period.ToString(), t.OccurredAt, t.Currency.Code, t.Lines, t.Reference);
    }
}

/// <summary>A merchant-month of the ledger: its entries, balances per account, and whether debits equal credits.</summary>
public sealed record LedgerView(string MerchantId, string Period, bool Balanced, IReadOnlyList<string> Problems, int Transactions,
    IReadOnlyDictionary<string, IReadOnlyDictionary<LedgerAccount, long>> Balances, IReadOnlyList<LedgerEntryView> Entries);

/// <summary>Reads the period in the query (<c>yyyy-MM</c>), defaulting to the merchant's current local month.</summary>
internal static class PeriodQuery
{
    public static async Task<(StatementPeriod Period, IResult? Problem)> ReadAsync(
        string? text, IPlanStore plans, string merchantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (text is not null)
        {
            return StatementPeriod.TryParse(text, out var period)
                ? (period, null)
                : (default, Problems.BadRequest($"period must be a month as yyyy-MM, not '{(text.Length > 20 ? text[..20] : text)}'."));
        }

        var schedule = await plans.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return schedule is null
            ? (default, Problems.NotFound($"Merchant '{merchantId}' has no plan."))
            : (StatementPeriod.Of(now, schedule.TimeZoneId), null);
    }
}

/// <summary>
/// <c>GET /api/merchants/{merchantId}/ledger?period=yyyy-MM</c> (admin): the merchant-month's journal, balances and
/// the double-entry check (every transaction balances, and so does the month).
/// </summary>
public sealed class GetMerchantLedger(ILedgerStore ledger, IPlanStore plans, TimeProvider time)
{
    [Function(nameof(GetMerchantLedger))]
    [AdminApi]
    [ApiTag("Billing")]
    [Response(200, typeof(LedgerView))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/ledger")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var (period, problem) = await PeriodQuery.ReadAsync(Query.Text(request, "period"), plans, merchantId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var check = await ledger.CheckAsync(merchantId, period, cancellationToken).ConfigureAwait(false);
        var entries = new List<LedgerEntryView>();
        await foreach (var entry in ledger.ReadAsync(merchantId, period, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(LedgerEntryView.From(entry));
        }

        return TypedResults.Ok(new LedgerView(merchantId, period.ToString(), check.Balanced, check.Problems, check.Transactions, check.Balances, entries));
    }
}

/// <summary>
/// <c>GET /api/merchants/{merchantId}/statements/{period}</c> (admin): the monthly statement (usage, charges, shopper
/// payments, refunds, fees, net) as JSON, or as CSV with <c>?format=csv</c> or <c>Accept: text/csv</c>.
/// </summary>
public sealed class GetMerchantStatement(StatementService statements)
{
    [Function(nameof(GetMerchantStatement))]
    [AdminApi]
    [ApiTag("Billing")]
    [Response(200, typeof(MonthlyStatement))]
    [Response(200, typeof(string), "text/csv")]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/statements/{period}")] HttpRequest request,
        string merchantId, string period, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!StatementPeriod.TryParse(period, out var month))
        {
            return Problems.BadRequest("The period must be a month as yyyy-MM.");
        }

        var format = Query.Text(request, "format");
        if (format is not (null or "json" or "csv"))
        {
            return Problems.BadRequest("format must be json or csv.");
        }

        var statement = await statements.BuildAsync(merchantId, month, cancellationToken).ConfigureAwait(false);
        if (statement is null)
        {
            return Problems.NotFound($"Merchant '{merchantId}' has no plan.");
        }

        var csv = format == "csv" || (format is null && request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase));
        return csv
            ? TypedResults.Text(StatementBuilder.ToCsv(statement), "text/csv; charset=utf-8")
            : TypedResults.Ok(statement);
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/usage</c> (admin): the current period's statement so far, in the merchant's time zone.</summary>
public sealed class GetMerchantUsage(StatementService statements, TimeProvider time)
{
    [Function(nameof(GetMerchantUsage))]
    [AdminApi]
    [ApiTag("Billing")]
    [Response(200, typeof(MonthlyStatement))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/usage")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken) =>
        await statements.CurrentAsync(merchantId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } statement
            ? TypedResults.Ok(statement)
            : Problems.NotFound($"Merchant '{merchantId}' has no plan.");
}
