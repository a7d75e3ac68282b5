using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Billing;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Billing;

/// <summary>Which plan each merchant is on, day by day.</summary>
public interface IPlanStore
{
    /// <summary>The merchant's schedule in its time zone, or null when it has no plan yet.</summary>
    Task<PlanSchedule?> GetAsync(string merchantId, CancellationToken cancellationToken);

    /// <summary>
    /// The schedule, good for pricing a call that started at <paramref name="callStartedAt"/>; may come from a short cache
    /// (every call-ended event needs it), but only when no change made since the cache was filled could apply to it.
    /// </summary>
    Task<PlanSchedule?> GetForCallAsync(string merchantId, DateTimeOffset callStartedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a merchant on <paramref name="plan"/>: at once when it has none, else from the next local day (replacing a
    /// change already pending). Returns the first local day the plan applies, and problems (nothing stored) if any.
    /// </summary>
    Task<(DateOnly? EffectiveFrom, IReadOnlyList<string> Problems)> SetAsync(
        string merchantId, MerchantPlan plan, string timeZone, DateTimeOffset requestedAt, CancellationToken cancellationToken);

    /// <summary>Every merchant with a plan (for the daily close).</summary>
    IAsyncEnumerable<string> ListMerchantsAsync(CancellationToken cancellationToken);
}

/// <summary>Plans in Table storage: partition = merchant, row = first local day (yyyy-MM-dd) the plan applies.</summary>
public sealed class TablePlanStore(StorageClients storage, TimeProvider time) : IPlanStore
{
    /// <summary>How long a schedule read for pricing calls is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);

    private const string FirstRow = "0001-01-01";
    private readonly TableClient table = storage.Table(StorageNames.PlansTable);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (PlanSchedule? Schedule, DateTimeOffset ReadAt)> cache = new(StringComparer.Ordinal);

    public async Task<PlanSchedule?> GetForCallAsync(string merchantId, DateTimeOffset callStartedAt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // A change requested after the read applies from the day after it at the earliest, so a schedule read at R prices
        // correctly every call that started on or before R's local day: the cache is exact, not merely recent.
        if (cache.TryGetValue(merchantId, out var hit) && now - hit.ReadAt < CacheFor && hit.Schedule is { } cached
            && PlanSchedule.LocalDate(callStartedAt, cached.TimeZoneId) <= PlanSchedule.LocalDate(hit.ReadAt, cached.TimeZoneId))
        {
            return cached;
        }

        var schedule = await GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        cache[merchantId] = (schedule, now);
        return schedule;
    }

    public async Task<PlanSchedule?> GetAsync(string merchantId, CancellationToken cancellationToken)
    {
        var rows = await RowsAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var timeZone = rows[^1].GetString("TimeZone");
        return PlanSchedule.FromAssignments(timeZone, rows.Select(r => new PlanAssignment(
            DateOnly.ParseExact(r.RowKey, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            JsonSerializer.Deserialize<MerchantPlan>(r.GetString("Plan"), AppJson.Options)!)));
    }

    public async Task<(DateOnly? EffectiveFrom, IReadOnlyList<string> Problems)> SetAsync(
        string merchantId, MerchantPlan plan, string timeZone, DateTimeOffset requestedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!Domain.Preferences.TimeZones.IsKnown(timeZone))
        {
            return (null, [$"timeZone '{timeZone}' is not a known IANA time zone."]);
        }

        var current = await GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        var problems = current?.ValidateChange(plan) ?? plan.Validate();
        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var from = current is null ? DateOnly.MinValue : PlanSchedule.EffectiveDateOfChange(requestedAt, timeZone);
        var rowKey = current is null ? FirstRow : from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // A newer request replaces any change still pending for the same or a later day.
        var batch = (await RowsAsync(merchantId, cancellationToken).ConfigureAwait(false))
            .Where(r => string.CompareOrdinal(r.RowKey, rowKey) > 0)
            .Select(r => new TableTransactionAction(TableTransactionActionType.Delete, r, ETag.All))
            .ToList();
        batch.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(merchantId, rowKey)
        {
            ["Plan"] = JsonSerializer.Serialize(plan, AppJson.Options),
            ["TimeZone"] = timeZone,
            ["RequestedAt"] = requestedAt,
        }));
        await table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        cache.TryRemove(merchantId, out _);
        return (current is null ? null : from, []);
    }

    public async IAsyncEnumerable<string> ListMerchantsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // Rows come in partition order, so each merchant is a run of rows.
            if (row.PartitionKey != last)
            {
                last = row.PartitionKey;
                yield return row.PartitionKey;
            }
        }
    }

    private async Task<List<TableEntity>> RowsAsync(string merchantId, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {merchantId}"), cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }
}
