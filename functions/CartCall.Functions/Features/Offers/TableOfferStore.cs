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

/// <summary>What storing a delivered offer came to.</summary>
public enum OfferStoreOutcome
{
    /// <summary>This delivery stored the offer.</summary>
    Stored,

    /// <summary>The offer was stored before (Event Grid delivers at least once): nothing changed.</summary>
    Duplicate,

    /// <summary>The offer id is already taken by an offer of another merchant or session: nothing changed.</summary>
    Conflict,
}

/// <summary>
/// Offers in the <c>offers</c> table, one partition per session (the widget asks for its session's offers) and a
/// pointer row per offer id under <c>id|{offerId}</c> so an accept can find its session. The pointer is the offer
/// id's one owner: it is written first and never replaced, so a delivery can never re-point an offer id to another
/// merchant or session. Rows that do not read back as a whole, coherent offer are treated as absent, never as errors.
/// </summary>
public sealed class TableOfferStore(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.OffersTable);

    public static string SessionPartition(string merchantId, string sessionId) => $"{merchantId}|{sessionId}";

    private static string PointerPartition(string offerId) => "id|" + offerId;

    /// <summary>Stores the offer (with the trace context it was delivered in) unless its id is already taken; true when this call stored it.</summary>
    public async Task<bool> TryAddAsync(OfferProposed offer, CancellationToken cancellationToken, string? traceParent = null) =>
        await AddAsync(offer, cancellationToken, traceParent).ConfigureAwait(false) == OfferStoreOutcome.Stored;

    /// <summary>
    /// Claims the offer id for the offer's merchant and session (the pointer), then stores the offer in its session.
    /// A repeat of a delivery whose first attempt stopped between the two finishes the job; a delivery naming another
    /// merchant or session for a taken id is a <see cref="OfferStoreOutcome.Conflict"/> and changes nothing.
    /// </summary>
    public async Task<OfferStoreOutcome> AddAsync(OfferProposed offer, CancellationToken cancellationToken, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var pointer = new TableEntity(PointerPartition(offer.OfferId), "offer") { ["MerchantId"] = offer.MerchantId, ["SessionId"] = offer.SessionId };
        try
        {
            await table.AddEntityAsync(pointer, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var owner = await table.GetEntityIfExistsAsync<TableEntity>(pointer.PartitionKey, pointer.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!owner.HasValue || owner.Value!.GetString("MerchantId") != offer.MerchantId || owner.Value.GetString("SessionId") != offer.SessionId)
            {
                return OfferStoreOutcome.Conflict;
            }
        }

        var record = new OfferRecord { Offer = offer, Status = OfferStatus.Pending, TraceParent = traceParent };
        try
        {
            await table.AddEntityAsync(ToEntity(record), cancellationToken).ConfigureAwait(false);
            return OfferStoreOutcome.Stored;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return OfferStoreOutcome.Duplicate;
        }
    }

    /// <summary>The offer, or null when there is none, or what is stored under the id is not a coherent offer.</summary>
    public async Task<OfferRecord?> GetAsync(string offerId, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsValid(offerId) || offerId.Length > OfferProposedRules.MaxIdLength)
        {
            return null;
        }

        var pointer = await table.GetEntityIfExistsAsync<TableEntity>(PointerPartition(offerId), "offer", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!pointer.HasValue)
        {
            return null;
        }

        var merchantId = pointer.Value!.GetString("MerchantId");
        var sessionId = pointer.Value.GetString("SessionId");
        if (string.IsNullOrEmpty(merchantId) || string.IsNullOrEmpty(sessionId) || !TableKeys.IsValid(SessionPartition(merchantId, sessionId)))
        {
            return null;
        }

        var entity = await table.GetEntityIfExistsAsync<TableEntity>(SessionPartition(merchantId, sessionId), offerId, cancellationToken: cancellationToken).ConfigureAwait(false);
        var record = entity.HasValue ? FromEntity(entity.Value!) : null;
        return record is not null && record.Offer.OfferId == offerId && record.Offer.MerchantId == merchantId && record.Offer.SessionId == sessionId
            ? record
            : null;
    }

    public async Task<IReadOnlyList<OfferRecord>> ListForSessionAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var result = new List<OfferRecord>();
        var partition = SessionPartition(merchantId, sessionId);
        if (!TableKeys.IsValid(partition))
        {
            return result;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (FromEntity(entity) is { } record && record.Offer.MerchantId == merchantId && record.Offer.SessionId == sessionId)
            {
                result.Add(record);
            }
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
        catch (RequestFailedException e) when (e.Status is 412 or 404)
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

    /// <summary>The record, or null when the stored document is not a whole offer (it is then as good as absent).</summary>
    private static OfferRecord? FromEntity(TableEntity e)
    {
        try
        {
            var record = e.GetString("Document") is { } document ? JsonSerializer.Deserialize<OfferRecord>(document, AppJson.Options) : null;
            if (record is null || !OfferProposedRules.IsAddressable(record.Offer))
            {
                return null;
            }

            record.ETag = e.ETag.ToString();
            return record;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
