using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>What happened to an offer.</summary>
public enum OfferStatus
{
    Pending,
    Shown,
    Dismissed,
    Accepted,
    Expired,
}

/// <summary>An offer as the app keeps it: the proposal plus what the shopper did with it.</summary>
public sealed class OfferRecord
{
    public OfferProposed Offer { get; set; } = default!;

    public OfferStatus Status { get; set; }

    public DateTimeOffset? ShownAt { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public string? CallId { get; set; }

    /// <summary>The W3C trace context the offer was delivered in: the accept continues the offer's trace from it.</summary>
    public string? TraceParent { get; set; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string? ETag { get; set; }
}

/// <summary>
/// Offers in the <c>offers</c> table, one partition per session (the widget asks for its session's offers) and a
/// pointer row per offer id under <c>id|{offerId}</c> so an accept can find its session.
/// </summary>
public sealed class TableOfferStore(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.OffersTable);

    public static string SessionPartition(string merchantId, string sessionId) => $"{merchantId}|{sessionId}";

    /// <summary>Stores the offer (with the trace context it was delivered in) unless it is already stored; true when this call stored it.</summary>
    public async Task<bool> TryAddAsync(OfferProposed offer, CancellationToken cancellationToken, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var record = new OfferRecord { Offer = offer, Status = OfferStatus.Pending, TraceParent = traceParent };
        var actions = new[]
        {
            new TableTransactionAction(TableTransactionActionType.Add, ToEntity(record)),
        };
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return false;
        }

        // The pointer lives in another partition, so it cannot join the transaction; it is idempotent on its own.
        await table.UpsertEntityAsync(
            new TableEntity("id|" + offer.OfferId, "offer") { ["MerchantId"] = offer.MerchantId, ["SessionId"] = offer.SessionId },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<OfferRecord?> GetAsync(string offerId, CancellationToken cancellationToken)
    {
        var pointer = await table.GetEntityIfExistsAsync<TableEntity>("id|" + offerId, "offer", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!pointer.HasValue)
        {
            return null;
        }

        var p = pointer.Value!;
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(
            SessionPartition(p.GetString("MerchantId"), p.GetString("SessionId")), offerId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity.HasValue ? FromEntity(entity.Value!) : null;
    }

    public async Task<IReadOnlyList<OfferRecord>> ListForSessionAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var result = new List<OfferRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {SessionPartition(merchantId, sessionId)}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            result.Add(FromEntity(entity));
        }

        return result;
    }

    /// <summary>Replaces the record if nobody changed it since it was read; false on a lost race.</summary>
    public async Task<bool> TryUpdateAsync(OfferRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            await table.UpdateEntityAsync(ToEntity(record), new ETag(record.ETag!), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    private static TableEntity ToEntity(OfferRecord r) =>
        new(SessionPartition(r.Offer.MerchantId, r.Offer.SessionId), r.Offer.OfferId)
        {
            ["Status"] = r.Status.ToString(),
            ["Document"] = JsonSerializer.Serialize(r, AppJson.Options),
        };

    private static OfferRecord FromEntity(TableEntity e)
    {
        var record = JsonSerializer.Deserialize<OfferRecord>(e.GetString("Document"), AppJson.Options)!;
        record.ETag = e.ETag.ToString();
        return record;
    }
}
