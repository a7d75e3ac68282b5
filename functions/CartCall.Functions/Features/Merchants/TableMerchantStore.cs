using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Features.Learning;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Merchants;

/// <summary>
/// Merchants in Table storage, one entity each, the document as JSON, read together with the merchant's weight history
/// (<see cref="TableWeightStore"/>) so a scorer always has the live weights. Every cart event needs its merchant, so
/// reads are cached briefly per instance: a change takes effect within <see cref="CacheFor"/>. The id comes from an
/// unauthenticated route, so the cache is bounded (<see cref="CacheOptions.MerchantEntries"/>), and ids found not to
/// exist are evicted before merchants that do.
/// </summary>
public sealed class TableMerchantStore(StorageClients storage, IOptions<CacheOptions> options, TimeProvider time) : IMerchantStore, IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    private const string Partition = "merchant";
    private readonly MemoryCache cache = BoundedCache.Create(options.Value.MerchantEntries, time);
    private readonly TableClient table = storage.Table(StorageNames.MerchantsTable);
    private readonly TableWeightStore weights = new(storage);

    /// <summary>A cached lookup, found or not.</summary>
    private sealed record Cached(Merchant? Merchant);

    public async Task<Merchant?> GetAsync(string merchantId, CancellationToken cancellationToken)
    {
        // An id no merchant can have is not looked up (nor cached): it comes from an unauthenticated route.
        if (merchantId is null || !MerchantValidator.IdPattern().IsMatch(merchantId))
        {
            return null;
        }

        if (cache.TryGetValue(merchantId, out Cached? hit))
        {
            return hit!.Merchant;
        }

        var read = table.GetEntityIfExistsAsync<TableEntity>(Partition, merchantId, cancellationToken: cancellationToken);
        var history = weights.GetAsync(merchantId, cancellationToken);
        await Task.WhenAll(read, history).ConfigureAwait(false);
        var response = read.Result;
        var merchant = response.HasValue
            ? JsonSerializer.Deserialize<Merchant>(response.Value!.GetString("Document"), AppJson.Options)
            : null;
        if (merchant is not null)
        {
            merchant.WeightHistory = history.Result?.History;
        }

        Remember(merchantId, merchant);
        return merchant;
    }

    public async Task<bool> UpsertAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        var entity = new TableEntity(Partition, merchant.Id)
        {
            ["Document"] = JsonSerializer.Serialize(merchant, AppJson.Options),
        };

        bool created;
        try
        {
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            created = true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            created = false;
        }

        // The next read loads the document with its weight history; this instance sees the change at once.
        cache.Remove(merchant.Id);
        return created;
    }

    public void Forget(string merchantId) => cache.Remove(merchantId);

    public async IAsyncEnumerable<string> ListIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return entity.RowKey;
        }
    }

    public void Dispose() => cache.Dispose();

    private void Remember(string merchantId, Merchant? merchant) =>
        cache.Set(merchantId, new Cached(merchant), BoundedCache.Entry(CacheFor, merchant is null ? CacheItemPriority.Low : CacheItemPriority.Normal));
}
