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
    /// Puts a merchant on <paramref name="plan"/>: at once when it has none, else from the next local day (replacing a
    /// change already pending). Returns the first local day the plan applies, and problems (nothing stored) if any.
    /// </summary>
    Task<(DateOnly? EffectiveFrom, IReadOnlyList<string> Problems)> SetAsync(
        string merchantId, MerchantPlan plan, string timeZone, DateTimeOffset requestedAt, CancellationToken cancellationToken);
}

/// <summary>Plans in Table storage: partition = merchant, row = first local day (yyyy-MM-dd) the plan applies.</summary>
public sealed class TablePlanStore(StorageClients storage) : IPlanStore
{
    private const string FirstRow = "0001-01-01";
    private readonly TableClient table = storage.Table(StorageNames.PlansTable);

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
        return (current is null ? null : from, []);
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
