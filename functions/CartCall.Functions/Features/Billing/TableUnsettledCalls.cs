using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Billing;

/// <summary>An ended call whose settlement gave up, and why.</summary>
public sealed record UnsettledCall(string CallId, string Failure, DateTimeOffset GaveUpAt);

/// <summary>
/// Ended calls the orchestration could not settle (the <c>unsettled</c> table, one partition): the daily close bills
/// them, so a payment-provider outage longer than the settlement's retries delays a call's bill instead of losing it.
/// </summary>
public sealed class TableUnsettledCalls(StorageClients storage)
{
    private const string Partition = "calls";

    /// <summary>A failure text is kept for the operator; the table's property limit is 64 KiB.</summary>
    private const int MaxFailureLength = 2_000;

    private readonly TableClient table = storage.Table(StorageNames.UnsettledTable);

    public async Task AddAsync(UnsettledCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var failure = call.Failure.Length > MaxFailureLength ? call.Failure[..MaxFailureLength] : call.Failure;
        await table.UpsertEntityAsync(new TableEntity(Partition, call.CallId) { ["Failure"] = failure, ["GaveUpAt"] = call.GaveUpAt },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<UnsettledCall> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in table.QueryAsync<TableEntity>(x => x.PartitionKey == Partition, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return new UnsettledCall(e.RowKey, e.GetString("Failure") ?? "", e.GetDateTimeOffset("GaveUpAt") ?? DateTimeOffset.MinValue);
        }
    }

    public async Task RemoveAsync(string callId, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(Partition, callId, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Removed by an overlapping close: the same outcome.
        }
    }
}
