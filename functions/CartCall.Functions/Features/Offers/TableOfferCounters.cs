using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// Daily offer counts per merchant and per shopper, in the <c>counters</c> table. A reservation is a conditional
/// increment (ETag), so concurrent sessions can never push a merchant past its daily budget.
/// </summary>
public sealed class TableOfferCounters(StorageClients storage)
{
    private const int MaxAttempts = 8;
    private readonly TableClient table = storage.Table(StorageNames.CountersTable);

    public static string MerchantDayKey(DateOnly day) => $"offers|{day:yyyy-MM-dd}";

    public static string ShopperDayKey(string shopperId, DateOnly day) => $"shopper|{shopperId}|{day:yyyy-MM-dd}";

    public async Task<int> ReadAsync(string merchantId, string rowKey, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, ["Count"], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetInt32("Count") ?? 0 : 0;
    }

    /// <summary>Adds one unless the count has reached <paramref name="limit"/>; returns whether it did.</summary>
    public async Task<bool> TryIncrementAsync(string merchantId, string rowKey, int limit, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                if (!response.HasValue)
                {
                    if (limit < 1)
                    {
                        return false;
                    }

                    await table.AddEntityAsync(new TableEntity(merchantId, rowKey) { ["Count"] = 1 }, cancellationToken).ConfigureAwait(false);
                    return true;
                }

                var entity = response.Value!;
                var count = entity.GetInt32("Count") ?? 0;
                if (count >= limit)
                {
                    return false;
                }

                entity["Count"] = count + 1;
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another instance got there first; read again.
            }
        }

        throw new InvalidOperationException($"Counter {merchantId}/{rowKey} stayed contended after {MaxAttempts} attempts.");
    }

    /// <summary>Gives back a reservation that was not used (the session save lost a race).</summary>
    public async Task DecrementAsync(string merchantId, string rowKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!response.HasValue)
            {
                return;
            }

            var entity = response.Value!;
            entity["Count"] = Math.Max(0, (entity.GetInt32("Count") ?? 0) - 1);
            try
            {
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }
    }
}
