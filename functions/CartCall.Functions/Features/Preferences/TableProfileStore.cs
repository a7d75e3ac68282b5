using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Preferences;

/// <summary>
/// Shopper profiles in the <c>profiles</c> table: PartitionKey = merchantId, RowKey = profileId, the
/// <see cref="ShopperProfile"/> as JSON in <c>Document</c>. A profile exists only once the shopper saved
/// preferences (or a call was recorded); an anonymous shopper has a profile id in the cookie and no row.
/// Register as a singleton; thread-safe.
/// </summary>
public sealed class TableProfileStore(StorageClients storage, OptimisticConcurrency concurrency)
{
    private readonly TableClient table = storage.Table(StorageNames.ProfilesTable);

    /// <summary>The profile, with its ETag, or null when none is stored.</summary>
    public async Task<ShopperProfile?> GetAsync(string merchantId, string profileId, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, profileId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        var profile = JsonSerializer.Deserialize<ShopperProfile>(response.Value!.GetString("Document"), AppJson.Options)!;
        profile.ETag = response.Value.ETag.ToString();
        return profile;
    }

    /// <summary>Creates or replaces the profile (the shopper's latest word wins); sets its new ETag.</summary>
    public async Task SaveAsync(ShopperProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var response = await table.UpsertEntityAsync(ToEntity(profile), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        profile.ETag = response.Headers.ETag?.ToString();
    }

    /// <summary>Erases the profile; true when there was one.</summary>
    public async Task<bool> DeleteAsync(string merchantId, string profileId, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(merchantId, profileId, ETag.All, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Records a call against the shopper (for the export), creating a bare profile when none is stored.
    /// Optimistic: a concurrent save (409 on add, 412 on replace) reads again, under the app's concurrency policy.
    /// Adding the same call id again changes nothing.
    /// </summary>
    public async Task AddCallIdAsync(string merchantId, string profileId, string callId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        await concurrency.ExecuteAsync($"Profile {merchantId}/{profileId}", async ct =>
        {
            var profile = await GetAsync(merchantId, profileId, ct).ConfigureAwait(false);
            if (profile?.CallIds.Contains(callId) == true)
            {
                return;
            }

            if (profile is null)
            {
                profile = ShopperProfile.Anonymous(merchantId, profileId, "en", now);
                profile.CallIds.Add(callId);
                await table.AddEntityAsync(ToEntity(profile), ct).ConfigureAwait(false);
            }
            else
            {
                profile.CallIds.Add(callId);
                profile.UpdatedAt = now;
                await table.UpdateEntityAsync(ToEntity(profile), new ETag(profile.ETag!), TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static TableEntity ToEntity(ShopperProfile p) => new(p.MerchantId, p.ProfileId)
    {
        ["Document"] = JsonSerializer.Serialize(p, AppJson.Options),
    };
}
