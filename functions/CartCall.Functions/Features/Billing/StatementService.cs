using CartCall.Domain.Billing;

namespace CartCall.Functions.Features.Billing;

/// <summary>Monthly statements, built from the ledger alone (one partition read per merchant-month).</summary>
public sealed class StatementService(ILedgerStore ledger, IPlanStore plans)
{
    /// <summary>The merchant's statement for <paramref name="period"/>, or null when it has no plan.</summary>
    public async Task<MonthlyStatement?> BuildAsync(string merchantId, StatementPeriod period, CancellationToken cancellationToken)
    {
        var schedule = await plans.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (schedule is null)
        {
            return null;
        }

        var entries = new List<LedgerTransaction>();
        await foreach (var entry in ledger.ReadAsync(merchantId, period, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        return StatementBuilder.Build(merchantId, period, schedule.TimeZoneId, schedule.PlanOn(period.FirstDay), entries);
    }

    /// <summary>The statement as RFC 4180 CSV (<c>text/csv</c>), or null when the merchant has no plan.</summary>
    public async Task<string?> BuildCsvAsync(string merchantId, StatementPeriod period, CancellationToken cancellationToken)
    {
        var statement = await BuildAsync(merchantId, period, cancellationToken).ConfigureAwait(false);
        return statement is null ? null : StatementBuilder.ToCsv(statement);
    }

    /// <summary>The current period's usage so far (the usage endpoint), in the merchant's time zone.</summary>
    public async Task<MonthlyStatement?> CurrentAsync(string merchantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var schedule = await plans.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return schedule is null ? null : await BuildAsync(merchantId, StatementPeriod.Of(now, schedule.TimeZoneId), cancellationToken).ConfigureAwait(false);
    }
}
