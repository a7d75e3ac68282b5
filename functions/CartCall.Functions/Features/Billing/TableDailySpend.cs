using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Billing;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// What each merchant's ended calls were billed per local day (budget feedback: the offer policy reads it), in the
/// <c>counters</c> table beside the offer counts. A day's total row keeps minor units per currency; each call adds a
/// marker row in the same entity-group transaction, so a retried or replayed settlement counts a call once.
/// </summary>
public sealed class TableDailySpend(StorageClients storage, OptimisticConcurrency concurrency)
{
    private const string MinorPrefix = "Minor_";

    private readonly TableClient table = storage.Table(StorageNames.CountersTable);

    public static string DayKey(DateOnly day) => $"spend|{day:yyyy-MM-dd}";

    public static string CallKey(DateOnly day, string callId) => $"spend|{day:yyyy-MM-dd}|{callId}";

    /// <summary>Adds what call <paramref name="callId"/> was billed to the merchant's day; returns false when it was already counted.</summary>
    public async Task<bool> AddAsync(string merchantId, DateOnly day, string callId, Money billed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(merchantId);
        ArgumentException.ThrowIfNullOrEmpty(callId);
        var property = MinorPrefix + billed.Currency.Code;
        return await concurrency.ExecuteAsync($"Spend {merchantId}/{day:yyyy-MM-dd}", async ct =>
        {
            var marker = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, CallKey(day, callId), ["Minor"], ct).ConfigureAwait(false);
            if (marker.HasValue)
            {
                return false;
            }

            var total = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, DayKey(day), cancellationToken: ct).ConfigureAwait(false);
            TableTransactionAction write;
            if (total.HasValue)
            {
                var entity = total.Value!;
                entity[property] = checked((entity.GetInt64(property) ?? 0) + billed.Minor);
                write = new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, entity.ETag);
            }
            else
            {
                write = new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(merchantId, DayKey(day)) { [property] = billed.Minor });
            }

            // Both rows or neither: a lost race on either (409 on an add, 412 on the total) runs the attempt again,
            // which then finds the marker if another delivery of this call won.
            await table.SubmitTransactionAsync(
                [write, new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(merchantId, CallKey(day, callId)) { ["Minor"] = billed.Minor, ["Currency"] = billed.Currency.Code })],
                ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The merchant's billed calls of <paramref name="day"/>, in major units. Amounts in more than one currency (a plan
    /// that changed currency that day) are added as they stand: the budget is read in the plan's currency.
    /// </summary>
    public async Task<decimal> ReadAsync(string merchantId, DateOnly day, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, DayKey(day), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return 0m;
        }

        var entity = response.Value!;
        var spent = 0m;
        foreach (var name in entity.Keys)
        {
            if (name.StartsWith(MinorPrefix, StringComparison.Ordinal) && Currency.TryOf(name[MinorPrefix.Length..], out var currency)
                && entity.GetInt64(name) is { } minor)
            {
                spent += (decimal)minor / currency.MinorPerMajor;
            }
        }

        return spent;
    }
}
