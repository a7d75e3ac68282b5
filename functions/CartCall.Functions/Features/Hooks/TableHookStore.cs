using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Hooks;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// Hooks and their deliveries in Table storage. Registrations: <c>hooks</c>, PK = merchant, RK = hook id, the admin
/// model as JSON. Deliveries: <c>hookdeliveries</c>, PK = merchant, RK = idempotency key, one row per invocation
/// updated by every attempt with a compare-and-swap on its ETag; the payload is kept (in 64 KB binary columns) so
/// a dead letter can be replayed byte for byte under the same key.
/// </summary>
public sealed class TableHookStore(StorageClients storage)
{
    private const int PayloadChunkBytes = 60 * 1_024;
    private const int MaxPayloadChunks = 5;
    private readonly TableClient hooks = storage.Table(StorageNames.HooksTable);
    private readonly TableClient deliveries = storage.Table(StorageNames.HookDeliveriesTable);

    public const int MaxPayloadBytes = PayloadChunkBytes * MaxPayloadChunks;

    // ---- registrations

    /// <summary>Creates or replaces; true when the hook is new.</summary>
    public async Task<bool> UpsertAsync(string merchantId, HookRegistrationModel hook, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var entity = new TableEntity(merchantId, hook.HookId) { ["Document"] = JsonSerializer.Serialize(hook, HookJson.Options) };
        try
        {
            await hooks.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            await hooks.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    public async Task<HookRegistrationModel?> GetAsync(string merchantId, string hookId, CancellationToken cancellationToken)
    {
        if (!IsKey(merchantId) || !IsKey(hookId))
        {
            return null;
        }

        var response = await hooks.GetEntityIfExistsAsync<TableEntity>(merchantId, hookId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? Read(response.Value!) : null;
    }

    public async Task<IReadOnlyList<HookRegistrationModel>> ListAsync(string merchantId, CancellationToken cancellationToken)
    {
        var list = new List<HookRegistrationModel>();
        if (!IsKey(merchantId))
        {
            return list;
        }

        await foreach (var entity in hooks.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {merchantId}"), cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            list.Add(Read(entity));
        }

        return list;
    }

    /// <summary>The merchant's hooks in the domain's terms, for a fan-out.</summary>
    public async Task<IReadOnlyList<HookRegistration>> ListRegistrationsAsync(string merchantId, CancellationToken cancellationToken) =>
        (await ListAsync(merchantId, cancellationToken).ConfigureAwait(false)).Select(h => h.ToDomain(merchantId, h.HookId!)).ToList();

    public async Task<bool> DeleteAsync(string merchantId, string hookId, CancellationToken cancellationToken)
    {
        if (!IsKey(merchantId) || !IsKey(hookId))
        {
            return false;
        }

        var response = await hooks.DeleteEntityAsync(merchantId, hookId, ETag.All, cancellationToken).ConfigureAwait(false);
        return response.Status != 404;
    }

    // ---- deliveries

    /// <summary>
    /// Records the start of an attempt: creates the invocation's row on its first attempt, else counts one more.
    /// A row already <see cref="HookDeliveryStatus.Succeeded"/> is returned as it is (and not counted): the caller
    /// returns its stored answer instead of calling the hook again (a redelivered activity).
    /// </summary>
    public async Task<HookDelivery> BeginAttemptAsync(HookDeliveryStart start, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (start.Payload.Length > MaxPayloadBytes)
        {
            throw new ArgumentException($"A hook payload is at most {MaxPayloadBytes} bytes.", nameof(start));
        }

        for (var tries = 0; ; tries++)
        {
            var existing = await GetDeliveryAsync(start.MerchantId, start.IdempotencyKey, cancellationToken).ConfigureAwait(false);
            try
            {
                if (existing is null)
                {
                    var created = new HookDelivery
                    {
                        MerchantId = start.MerchantId,
                        IdempotencyKey = start.IdempotencyKey,
                        HookId = start.HookId,
                        Point = start.Point,
                        OccurrenceId = start.OccurrenceId,
                        Status = HookDeliveryStatus.Running,
                        Attempts = 1,
                        CreatedAt = at,
                        LastAttemptAt = at,
                        Payload = start.Payload.ToArray(),
                    };
                    var response = await deliveries.AddEntityAsync(ToEntity(created), cancellationToken).ConfigureAwait(false);
                    created.ETag = response.Headers.ETag?.ToString();
                    return created;
                }

                if (existing.Status == HookDeliveryStatus.Succeeded)
                {
                    return existing;
                }

                existing.Status = HookDeliveryStatus.Running;
                existing.Attempts++;
                existing.LastAttemptAt = at;
                await ReplaceAsync(existing, cancellationToken).ConfigureAwait(false);
                return existing;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && tries < 5)
            {
                // Another instance started the same invocation or attempt at the same time: read again.
            }
        }
    }

    /// <summary>Records how an attempt ended. <paramref name="final"/>: no further attempt will be made.</summary>
    public async Task CompleteAttemptAsync(HookDelivery delivery, HookAttemptResult result, bool final, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(result);
        delivery.Outcome = result.Kind;
        delivery.LastStatus = result.LastStatus;
        delivery.LastError = result.Error;
        delivery.LastLatencyMs = result.Latency.TotalMilliseconds;
        delivery.LastDispatchOverheadMs = result.DispatchOverhead?.TotalMilliseconds;
        delivery.AnswerJson = result.Answer is null ? null : JsonSerializer.Serialize(result.Answer, HookJson.Options);
        delivery.Status = result.Succeeded ? HookDeliveryStatus.Succeeded
            : final ? HookDeliveryStatus.Failed
            : HookDeliveryStatus.Retrying;
        delivery.CompletedAt = delivery.Status is HookDeliveryStatus.Succeeded or HookDeliveryStatus.Failed ? at : null;

        // Last writer wins here: only this invocation's own (sequential) attempts write its outcome.
        var response = await deliveries.UpsertEntityAsync(ToEntity(delivery), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        delivery.ETag = response.Headers.ETag?.ToString();
    }

    public async Task<HookDelivery?> GetDeliveryAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken)
    {
        if (!IsKey(merchantId) || !IsKey(idempotencyKey))
        {
            return null;
        }

        var response = await deliveries.GetEntityIfExistsAsync<TableEntity>(merchantId, idempotencyKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <summary>The merchant's deliveries, newest attempt first, filtered by status, hook and call/offer.</summary>
    public async Task<IReadOnlyList<HookDelivery>> ListDeliveriesAsync(string merchantId, HookDeliveryQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var list = new List<HookDelivery>();
        if (!IsKey(merchantId))
        {
            return list;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {merchantId}");
        if (query.Status is { } status)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {status.ToString()}");
        }

        if (query.HookId is { } hookId)
        {
            filter += " and " + TableClient.CreateQueryFilter($"HookId eq {hookId}");
        }

        if (query.OccurrenceId is { } occurrence)
        {
            filter += " and " + TableClient.CreateQueryFilter($"OccurrenceId eq {occurrence}");
        }

        // Listing leaves the payload columns out: they are only needed for a replay.
        string[] columns = ["PartitionKey", "RowKey", "Document"];
        await foreach (var entity in deliveries.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(entity));
        }

        return list.OrderByDescending(d => d.LastAttemptAt ?? d.CreatedAt).Take(Math.Clamp(query.Max, 1, 1_000)).ToList();
    }

    /// <summary>
    /// Readies a delivery for a replay under its own idempotency key: status back to pending, one more replay counted,
    /// attempts kept (the history stays visible). Null when there is no such delivery.
    /// </summary>
    public async Task<HookDelivery?> PrepareReplayAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken)
    {
        for (var tries = 0; ; tries++)
        {
            var delivery = await GetDeliveryAsync(merchantId, idempotencyKey, cancellationToken).ConfigureAwait(false);
            if (delivery is null)
            {
                return null;
            }

            delivery.Status = HookDeliveryStatus.Pending;
            delivery.Replays++;
            delivery.AttemptsAtLastReplay = delivery.Attempts;
            delivery.CompletedAt = null;
            try
            {
                await ReplaceAsync(delivery, cancellationToken).ConfigureAwait(false);
                return delivery;
            }
            catch (RequestFailedException e) when (e.Status == 412 && tries < 5)
            {
            }
        }
    }

    private async Task ReplaceAsync(HookDelivery delivery, CancellationToken cancellationToken)
    {
        var response = await deliveries.UpdateEntityAsync(ToEntity(delivery), new ETag(delivery.ETag!), TableUpdateMode.Replace, cancellationToken)
            .ConfigureAwait(false);
        delivery.ETag = response.Headers.ETag?.ToString();
    }

    private static TableEntity ToEntity(HookDelivery d)
    {
        var payload = d.Payload;
        var entity = new TableEntity(d.MerchantId, d.IdempotencyKey)
        {
            ["Status"] = d.Status.ToString(),
            ["HookId"] = d.HookId,
            ["OccurrenceId"] = d.OccurrenceId,
            ["Document"] = JsonSerializer.Serialize(d, HookJson.Options),
        };
        for (var i = 0; i * PayloadChunkBytes < payload.Length; i++)
        {
            entity["Payload" + i] = payload.AsSpan(i * PayloadChunkBytes, Math.Min(PayloadChunkBytes, payload.Length - (i * PayloadChunkBytes))).ToArray();
        }

        return entity;
    }

    private static HookDelivery FromEntity(TableEntity entity)
    {
        var d = JsonSerializer.Deserialize<HookDelivery>(entity.GetString("Document"), HookJson.Options)!;
        d.ETag = entity.ETag.ToString();
        using var payload = new MemoryStream();
        for (var i = 0; entity.GetBinary("Payload" + i) is { } chunk; i++)
        {
            payload.Write(chunk);
        }

        d.Payload = payload.ToArray();
        return d;
    }

    private static HookRegistrationModel Read(TableEntity entity) =>
        JsonSerializer.Deserialize<HookRegistrationModel>(entity.GetString("Document"), HookJson.Options)!;

    private static bool IsKey(string? s) =>
        !string.IsNullOrEmpty(s) && s.Length <= 256 && s.All(c => !char.IsControl(c) && c is not ('/' or '\\' or '#' or '?'));
}
