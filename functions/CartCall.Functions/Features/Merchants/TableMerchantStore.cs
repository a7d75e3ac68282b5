using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Merchants;

/// <summary>
/// Merchants in Table storage, one entity each, the document as JSON. Every cart event needs its merchant, so
/// reads are cached briefly per instance: a change takes effect within <see cref="CacheFor"/>.
/// </summary>
public sealed class TableMerchantStore(StorageClients storage, TimeProvider time) : IMerchantStore
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(15);

    private const string Partition = "merchant";
    private readonly ConcurrentDictionary<string, (Merchant? Merchant, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);
    private readonly TableClient table = storage.Table(StorageNames.MerchantsTable);

    public async Task<Merchant?> GetAsync(string merchantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(merchantId, out var hit) && hit.Until > now)
        {
            return hit.Merchant;
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(Partition, merchantId, cancellationToken: cancellationToken).ConfigureAwait(false);
        var merchant = response.HasValue
            ? JsonSerializer.Deserialize<Merchant>(response.Value!.GetString("Document"), AppJson.Options)
            : null;
        cache[merchantId] = (merchant, now + CacheFor);
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

        cache[merchant.Id] = (merchant, time.GetUtcNow() + CacheFor);
        return created;
    }
}
