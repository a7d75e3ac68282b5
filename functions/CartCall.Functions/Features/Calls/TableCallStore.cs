using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Calls in the <c>calls</c> table, one row per call (<c>PK = callId, RK = "call"</c>). A copy of each call is kept under
/// <c>PK = "m|{merchantId}"</c> for the agent console's list (updated after every change; eventually consistent).
/// </summary>
public sealed class TableCallStore(StorageClients storage)
{
    private const string CallRow = "call";
    private const string DispositionRow = "disposition";
    private readonly TableClient table = storage.Table(StorageNames.CallsTable);

    public static string MerchantIndexPartition(string merchantId) => "m|" + merchantId;

    /// <summary>Stores a new call; null when it exists already (then nothing is written).</summary>
    public async Task<CallRecord?> TryCreateAsync(CallRecord call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            var response = await table.AddEntityAsync(ToEntity(call.CallId, call), cancellationToken).ConfigureAwait(false);
            call.ETag = response.Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }

        await IndexAsync(call, cancellationToken).ConfigureAwait(false);
        return call;
    }

    public async Task<CallRecord?> GetAsync(string callId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(callId) || callId.Length > 64)
        {
            return null;
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(callId, CallRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>Replaces the call if nobody changed it since it was read; false on a lost race.</summary>
    public async Task<bool> TryReplaceAsync(CallRecord call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(call.CallId, call), new ETag(call.ETag!), TableUpdateMode.Replace, cancellationToken)
                .ConfigureAwait(false);
            call.ETag = response.Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }

        await IndexAsync(call, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<CallRecord>> ListForMerchantAsync(string merchantId, bool activeOnly, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {MerchantIndexPartition(merchantId)}");
        if (activeOnly)
        {
            filter += " and Active eq true";
        }

        var calls = new List<CallRecord>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            calls.Add(FromEntity(entity));
        }

        return calls.OrderByDescending(c => c.CreatedAt).Take(max).ToList();
    }

    /// <summary>
    /// Stores the agent's disposition in the call's partition, in a row of its own: the call's orchestration replaces
    /// the call row as the call goes on, and must neither erase the agent's words nor race them.
    /// </summary>
    public async Task PutDispositionAsync(string callId, CallDisposition disposition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(disposition);
        var entity = new TableEntity(callId, DispositionRow) { ["Document"] = JsonSerializer.Serialize(disposition, AppJson.Options) };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CallDisposition?> GetDispositionAsync(string callId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(callId) || callId.Length > 64)
        {
            return null;
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(callId, DispositionRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? JsonSerializer.Deserialize<CallDisposition>(response.Value!.GetString("Document"), AppJson.Options) : null;
    }

    private async Task IndexAsync(CallRecord call, CancellationToken cancellationToken)
    {
        // Best effort in order: a stale index row is mended by the next change of the call.
        var entity = ToEntity(MerchantIndexPartition(call.MerchantId), call, call.CallId);
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private static TableEntity ToEntity(string partitionKey, CallRecord call, string rowKey = CallRow) => new(partitionKey, rowKey)
    {
        ["MerchantId"] = call.MerchantId,
        ["Status"] = call.Status.ToString(),
        ["Active"] = call.IsActive,
        ["Document"] = JsonSerializer.Serialize(call, AppJson.Options),
    };

    private static CallRecord FromEntity(TableEntity entity)
    {
        var call = JsonSerializer.Deserialize<CallRecord>(entity.GetString("Document"), AppJson.Options)!;
        call.ETag = entity.ETag.ToString();
        return call;
    }
}
