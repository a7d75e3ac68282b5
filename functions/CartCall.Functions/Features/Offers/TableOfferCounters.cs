using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// Daily offer counts per merchant and per shopper, in the <c>counters</c> table. A reservation is a conditional
/// increment (ETag), so concurrent sessions can never push a merchant past its daily budget.
/// </summary>
public sealed class TableOfferCounters(StorageClients storage, OptimisticConcurrency concurrency)
{
    private readonly TableClient table = storage.Table(StorageNames.CountersTable);

    public static string MerchantDayKey(DateOnly day) => $"offers|{day:yyyy-MM-dd}";

    public static string ShopperDayKey(string shopperId, DateOnly day) => $"shopper|{shopperId}|{day:yyyy-MM-dd}";

    public async Task<int> ReadAsync(string merchantId, string rowKey, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, ["Count"], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.GetInt32("Count") ?? 0 : 0;
    }

    /// <summary>Adds one unless the count has reached <paramref name="limit"/>; returns whether it did.</summary>
    /// <remarks>Another instance getting there first (409 on add, 412 on replace) reads again, under the app's concurrency policy.</remarks>
    public async Task<bool> TryIncrementAsync(string merchantId, string rowKey, int limit, CancellationToken cancellationToken) =>
        await concurrency.ExecuteAsync($"Counter {merchantId}/{rowKey}", async ct =>
        {
            var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, cancellationToken: ct).ConfigureAwait(false);
            if (!response.HasValue)
            {
                if (limit < 1)
                {
                    return false;
                }

                await table.AddEntityAsync(new TableEntity(merchantId, rowKey) { ["Count"] = 1 }, ct).ConfigureAwait(false);
                return true;
            }

            var entity = response.Value!;
            var count = entity.GetInt32("Count") ?? 0;
            if (count >= limit)
            {
                return false;
            }

            entity["Count"] = count + 1;
            await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Gives back a reservation that was not used (the session save lost a race).</summary>
    public async Task DecrementAsync(string merchantId, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await concurrency.ExecuteAsync($"Counter {merchantId}/{rowKey}", async ct =>
            {
                var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, rowKey, cancellationToken: ct).ConfigureAwait(false);
                if (!response.HasValue)
                {
                    return;
                }

                var entity = response.Value!;
                entity["Count"] = Math.Max(0, (entity.GetInt32("Count") ?? 0) - 1);
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // A give-back that stays contended is dropped: the count errs towards fewer offers, never more.
        }
    }
}
