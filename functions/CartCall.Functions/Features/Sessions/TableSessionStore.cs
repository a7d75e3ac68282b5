using System.IO.Compression;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using CartCall.Domain.Carts;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// One partition per session in the <c>sessions</c> table: the session entity (<c>RowKey = "session"</c>), its
/// decisions (<c>RowKey = "d|{inverted ticks}|…"</c>, newest first) and its outbox (<c>RowKey = "o|{kind}|{key}"</c>:
/// follow-ups not yet carried out). Keeping them in one partition lets a save write all three in one entity-group
/// transaction, so a decision is never stored without the state it was made on, nor either without its follow-ups.
/// </summary>
public sealed class TableSessionStore(StorageClients storage, SessionCache cache, TimeProvider? time = null) : ISessionStore
{
    private const string SessionRow = "session";
    private const string DecisionPrefix = "d|";
    private const string OutboxPrefix = "o|";
    private const string OutboxEnd = "o}";
    private readonly TableClient table = storage.Table(StorageNames.SessionsTable);

    public static string PartitionKey(string merchantId, string sessionId) => $"{merchantId}|{sessionId}";

    public async Task<LoadedSession?> GetAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var pk = PartitionKey(merchantId, sessionId);

        // The version this instance last wrote is usually still current: skip the read and let the ETag on the save
        // catch the rare case where another instance wrote since (the save then fails and the retry reads).
        if (cache.TryGet(pk) is { } cached)
        {
            return new LoadedSession(Decode(cached.State), cached.ETag, cached.ReevaluateAt);
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(pk, SessionRow, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        var entity = response.Value!;
        var state = entity.GetBinary("State");
        var loaded = new LoadedSession(Decode(state), entity.ETag.ToString(), entity.GetDateTimeOffset("ReevaluateAt"));
        cache.Set(pk, new SessionCache.Entry(state, loaded.ETag!, loaded.ReevaluateAt));
        return loaded;
    }

    public async Task<SavedSession> SaveAsync(
        LoadedSession loaded, StoredDecision? decision, DateTimeOffset? reevaluateAt, IReadOnlyList<OutboxItem>? outbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var session = loaded.Session;
        var pk = PartitionKey(session.MerchantId, session.SessionId);
        var state = Encode(session);
        var entity = new TableEntity(pk, SessionRow)
        {
            ["MerchantId"] = session.MerchantId,
            ["SessionId"] = session.SessionId,
            ["ShopperId"] = session.ShopperId,
            ["LastEventAt"] = session.LastEventAt,
            ["EventCount"] = session.EventCount,
            ["OrderCompleted"] = session.OrderCompleted,
            ["ReevaluateAt"] = reevaluateAt,
            ["State"] = state,
        };

        var actions = new List<TableTransactionAction>(2 + (outbox?.Count ?? 0))
        {
            loaded.ETag is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(loaded.ETag)),
        };
        if (decision is not null)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(pk, decision)));
        }

        var writtenAt = (time ?? TimeProvider.System).GetUtcNow();
        var firstOutbox = actions.Count;
        foreach (var item in outbox ?? [])
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(pk, session, item, writtenAt)));
        }

        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            var etag = response.Value[0].Headers.ETag?.ToString() ?? "";
            cache.Set(pk, new SessionCache.Entry(state, etag, reevaluateAt));
            var written = new List<OutboxEntry>(outbox?.Count ?? 0);
            for (var i = 0; i < (outbox?.Count ?? 0); i++)
            {
                written.Add(new OutboxEntry(session.MerchantId, session.SessionId, outbox![i], writtenAt, response.Value[firstOutbox + i].Headers.ETag?.ToString() ?? "*"));
            }

            return new SavedSession(etag, written);
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
        {
            cache.Remove(pk);
            throw new SessionConflictException($"Session {pk} changed while it was being updated.");
        }
    }

    public async Task<IReadOnlyList<OutboxEntry>> ListOutboxAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var pk = PartitionKey(merchantId, sessionId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {OutboxPrefix} and RowKey lt {OutboxEnd}");
        var result = new List<OutboxEntry>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (FromOutboxEntity(entity) is { } entry)
            {
                result.Add(entry);
            }
        }

        return result;
    }

    public async Task DeleteOutboxAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await table.DeleteEntityAsync(PartitionKey(entry.MerchantId, entry.SessionId), OutboxRowKey(entry.Item), new ETag(entry.ETag), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Already deleted by another dispatcher, or replaced by a newer follow-up of the same kind, which stays.
        }
    }

    public async Task<OutboxPage> ScanOutboxAsync(DateTimeOffset writtenBefore, string? continuation, CancellationToken cancellationToken)
    {
        // A scan across partitions: the sweeper's backstop for rows whose dispatch was interrupted and never retried.
        var filter = TableClient.CreateQueryFilter($"RowKey ge {OutboxPrefix} and RowKey lt {OutboxEnd} and WrittenAt lt {writtenBefore}");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken)
            .AsPages(continuation).ConfigureAwait(false))
        {
            return new OutboxPage([.. page.Values.Select(FromOutboxEntity).OfType<OutboxEntry>()], page.ContinuationToken);
        }

        return new OutboxPage([], null);
    }

    public async Task<IReadOnlyList<StoredDecision>> ListDecisionsAsync(string merchantId, string sessionId, int max, CancellationToken cancellationToken)
    {
        var pk = PartitionKey(merchantId, sessionId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {pk} and RowKey ge {DecisionPrefix} and RowKey lt {"d}"}");
        var result = new List<StoredDecision>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(max, 1000), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            result.Add(JsonSerializer.Deserialize<StoredDecision>(entity.GetString("Document"), AppJson.Options)!);
            if (result.Count >= max)
            {
                break;
            }
        }

        return result;
    }

    private static TableEntity ToEntity(string pk, StoredDecision d) => new(pk, $"{DecisionPrefix}{DateTimeOffset.MaxValue.UtcTicks - d.DecidedAt.UtcTicks:D19}|{d.EventId ?? d.Trigger}")
    {
        ["Propose"] = d.Propose,
        ["Score"] = d.Score,
        ["Trigger"] = d.Trigger,
        ["OfferId"] = d.OfferId,
        ["Document"] = JsonSerializer.Serialize(d, AppJson.Options),
    };

    public static string OutboxRowKey(OutboxItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return $"{OutboxPrefix}{item.Kind.ToString().ToLowerInvariant()}|{item.Key}";
    }

    private static TableEntity ToEntity(string pk, CartSession session, OutboxItem item, DateTimeOffset writtenAt) => new(pk, OutboxRowKey(item))
    {
        ["MerchantId"] = session.MerchantId,
        ["SessionId"] = session.SessionId,
        ["Kind"] = item.Kind.ToString(),
        ["Key"] = item.Key,
        ["Payload"] = item.Payload,
        ["WrittenAt"] = writtenAt,
    };

    private static OutboxEntry? FromOutboxEntity(TableEntity e) =>
        Enum.TryParse<OutboxKind>(e.GetString("Kind"), out var kind) && e.GetString("MerchantId") is { } merchantId && e.GetString("SessionId") is { } sessionId
            ? new OutboxEntry(merchantId, sessionId, new OutboxItem(kind, e.GetString("Key") ?? "", e.GetString("Payload") ?? ""),
                e.GetDateTimeOffset("WrittenAt") ?? e.Timestamp ?? DateTimeOffset.MinValue, e.ETag.ToString())
            : null;

    // Brotli keeps a long event log and a large cart well inside the 64 KB property limit.
    private static byte[] Encode(CartSession session)
    {
        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(brotli, session, AppJson.Options);
        }

        return buffer.ToArray();
    }

    private static CartSession Decode(byte[]? state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var brotli = new BrotliStream(new MemoryStream(state), CompressionMode.Decompress);
        return JsonSerializer.Deserialize<CartSession>(brotli, AppJson.Options)
            ?? throw new InvalidDataException("A stored session decoded to null.");
    }
}
