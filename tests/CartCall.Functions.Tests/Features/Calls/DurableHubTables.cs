using Azure.Data.Tables;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>One row of an orchestration's history as the Azure Storage provider keeps it.</summary>
/// <param name="At">The history event's own time (<c>_Timestamp</c>): for OrchestratorStarted the turn's start, for TaskCompleted when the activity's result was made.</param>
/// <param name="Written">When Azurite stored the row.</param>
public sealed record HistoryRow(string EventType, string? Name, DateTimeOffset? At, DateTimeOffset? Written, string? Input, int? TaskScheduledId, int? EventId);

/// <summary>
/// Reads the Durable engine's own tables (hub <c>CartCall</c> in host.json) straight from Azurite: whether a call's
/// orchestration has finished, and its history. Tests wait on these instead of on time: an orchestration that is
/// Completed can publish nothing more.
/// </summary>
public static class DurableHubTables
{
    public const string Hub = "CartCall";
    public const string History = Hub + "History";
    public const string Instances = Hub + "Instances";

    public static async Task<string?> RuntimeStatusAsync(StorageClients storage, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(storage);
        await foreach (var row in storage.Table(Instances).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId}")))
        {
            return row.GetString("RuntimeStatus");
        }

        return null;
    }

    /// <summary>Waits (bounded) until the orchestration is Completed; anything else final is a failure of the test.</summary>
    public static async Task WaitForCompletedAsync(StorageClients storage, string instanceId, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string? status = null;
        while (clock.Elapsed < timeout)
        {
            status = await RuntimeStatusAsync(storage, instanceId);
            if (status is "Completed")
            {
                return;
            }

            Assert.False(status is "Failed" or "Terminated", $"orchestration {instanceId} is {status}");
            await Task.Delay(100);
        }

        throw new TimeoutException($"Orchestration {instanceId} not completed in {timeout}: {status}.");
    }

    public static async Task<IReadOnlyList<HistoryRow>> HistoryAsync(StorageClients storage, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var rows = new List<(string RowKey, HistoryRow Row)>();
        await foreach (var e in storage.Table(History).QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId}")))
        {
            var at = e.TryGetValue("_Timestamp", out var t) ? t switch
            {
                DateTimeOffset d => d,
                DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
                _ => (DateTimeOffset?)null,
            } : null;
            rows.Add((e.RowKey, new HistoryRow(e.GetString("EventType") ?? "", e.GetString("Name"), at, e.Timestamp, e.GetString("Input") ?? e.GetString("Result"),
                e.GetInt32("TaskScheduledId"), e.GetInt32("EventId"))));
        }

        // Row keys are the execution id then the event's sequence number in hex, fixed width: ordinal order is history order.
        return [.. rows.OrderBy(r => r.RowKey, StringComparer.Ordinal).Select(r => r.Row)];
    }

    /// <summary>How many times the orchestration scheduled the activity <paramref name="name"/>.</summary>
    public static int Scheduled(IEnumerable<HistoryRow> history, string name) =>
        history.Count(h => h.EventType == "TaskScheduled" && h.Name == name);
}
