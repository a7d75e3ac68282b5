using Azure.Data.Tables;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Push;

/// <summary>
/// What the widget told us about a session that the push path needs later, when no browser request is at hand:
/// the shopper's language. Kept as row <c>widget</c> in the session's own partition of the <c>sessions</c> table
/// (beside <c>session</c> and the <c>d|…</c> decisions, which nothing else reads by range).
/// </summary>
public sealed class TableWidgetSessionStore(StorageClients storage)
{
    private const string Row = "widget";
    private readonly TableClient table = storage.Table(StorageNames.SessionsTable);

    public async Task SetLanguageAsync(string merchantId, string sessionId, string language, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(TableSessionStore.PartitionKey(merchantId, sessionId), Row) { ["Language"] = language };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session's language, or null when the widget never negotiated a socket for it.</summary>
    public async Task<string?> GetLanguageAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(
            TableSessionStore.PartitionKey(merchantId, sessionId), Row, ["Language"], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetString("Language") : null;
    }
}
