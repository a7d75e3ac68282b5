using System.Globalization;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Experiments;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Experiments;

/// <summary>
/// The experiment in the <c>experiments</c> table: one row per session that entered it (its first decision to offer,
/// either arm), partitioned by merchant and the UTC day of that decision so a period's report reads whole partitions.
/// Each change writes only its own fields (a merge), so the entry, the shown mark, the call's outcome and the order
/// land in any order and any number of times.
/// </summary>
public sealed class TableExperimentStore(StorageClients storage, OptimisticConcurrency concurrency)
{
    private readonly TableClient table = storage.Table(StorageNames.ExperimentsTable);

    public static string PartitionKey(string merchantId, DateTimeOffset enteredAt) =>
        $"{merchantId}|{enteredAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    /// <summary>Writes the given fields of the session's row, creating it if need be.</summary>
    public Task MergeAsync(string merchantId, string sessionId, DateTimeOffset enteredAt, IDictionary<string, object?> fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var entity = new TableEntity(PartitionKey(merchantId, enteredAt), sessionId)
        {
            ["MerchantId"] = merchantId,
            ["SessionId"] = sessionId,
            ["EnteredAt"] = enteredAt,
        };
        foreach (var (name, value) in fields)
        {
            entity[name] = value;
        }

        return table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    /// <summary>Adds one call's cost to the session's row, once per call id however often it is reported.</summary>
    public Task AddCallCostAsync(string merchantId, string sessionId, DateTimeOffset enteredAt, string callId, decimal cost, bool connected, CancellationToken cancellationToken) =>
        concurrency.ExecuteAsync($"Experiment {merchantId}/{sessionId}", async ct =>
        {
            var pk = PartitionKey(merchantId, enteredAt);
            var response = await table.GetEntityIfExistsAsync<TableEntity>(pk, sessionId, cancellationToken: ct).ConfigureAwait(false);
            var entity = response.HasValue ? response.Value! : new TableEntity(pk, sessionId)
            {
                ["MerchantId"] = merchantId,
                ["SessionId"] = sessionId,
                ["EnteredAt"] = enteredAt,
            };
            var calls = (entity.GetString("CallIds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (calls.Contains(callId, StringComparer.Ordinal))
            {
                return;
            }

            calls.Add(callId);
            entity["CallIds"] = string.Join(',', calls);
            entity["CallCost"] = Money(Money(entity.GetString("CallCost")) + cost);
            if (connected)
            {
                entity["Connected"] = true;
                entity["Accepted"] = true;
            }

            if (response.HasValue)
            {
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
            else
            {
                await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
            }
        }, cancellationToken).AsTask();

    /// <summary>Every session that entered the experiment on the UTC days from <paramref name="firstDay"/> to <paramref name="lastDay"/>.</summary>
    public async Task<IReadOnlyList<ExperimentSession>> ListAsync(string merchantId, DateOnly firstDay, DateOnly lastDay, CancellationToken cancellationToken)
    {
        var days = new List<DateOnly>();
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            days.Add(day);
        }

        var pages = await Task.WhenAll(days.Select(async day =>
        {
            var pk = PartitionKey(merchantId, new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
            var rows = new List<ExperimentSession>();
            await foreach (var e in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {pk}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (FromEntity(e) is { } session)
                {
                    rows.Add(session);
                }
            }

            return rows;
        })).ConfigureAwait(false);
        return [.. pages.SelectMany(p => p)];
    }

    private static ExperimentSession? FromEntity(TableEntity e)
    {
        // A row that only ever got a late update (its entry still in a session's outbox) is not in the experiment yet.
        if (e.GetDateTimeOffset("DecidedAt") is not { } decidedAt || !Enum.TryParse<ExperimentArm>(e.GetString("Arm"), ignoreCase: true, out var arm))
        {
            return null;
        }

        return new ExperimentSession(
            e.RowKey,
            arm,
            decidedAt,
            e.GetBoolean("Shown") ?? false,
            e.GetBoolean("Accepted") ?? false,
            e.GetBoolean("Connected") ?? false,
            Money(e.GetString("CallCost")),
            e.GetDateTimeOffset("OrderCompletedAt"),
            Money(e.GetString("OrderValue")),
            Money(e.GetString("OrderMargin")));
    }

    // Money is stored as invariant decimal text: Table storage has no decimal type and doubles would round cents.
    public static decimal Money(string? text) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : 0m;

    public static string Money(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
