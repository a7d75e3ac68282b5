using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Preferences;

/// <summary>
/// Shopper profiles in the <c>profiles</c> table: PartitionKey = merchantId, RowKey = profileId, the
/// <see cref="ShopperProfile"/> as JSON in <c>Document</c>, with <c>Used</c> and <c>CreatedAt</c> beside it so unused
/// profiles can be found. A profile exists only once the shopper saved preferences that hold something (or a call was
/// recorded); an anonymous shopper has a profile id in the cookie and no row. Register as a singleton; thread-safe.
/// </summary>
public sealed class TableProfileStore(StorageClients storage, OptimisticConcurrency concurrency)
{
    private readonly TableClient table = storage.Table(StorageNames.ProfilesTable);

    /// <summary>The profile, with its ETag, or null when none is stored (or the ids cannot name one).</summary>
    public async Task<ShopperProfile?> GetAsync(string merchantId, string profileId, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsValid(merchantId) || !TableKeys.IsValid(profileId))
        {
            return null;
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, profileId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        ShopperProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<ShopperProfile>(response.Value!.GetString("Document") ?? "null", AppJson.Options);
        }
        catch (JsonException)
        {
            profile = null;
        }

        if (profile is null)
        {
            return null;
        }

        profile.ETag = response.Value!.ETag.ToString();
        return profile;
    }

    /// <summary>Creates or replaces the profile (the shopper's latest word wins); sets its new ETag.</summary>
    public async Task SaveAsync(ShopperProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var response = await table.UpsertEntityAsync(ToEntity(profile), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        profile.ETag = response.Headers.ETag?.ToString();
    }

    /// <summary>
    /// Notes that the shopper came back for the profile (once: later visits change nothing). Best effort: a concurrent
    /// save, which itself marks the profile used, wins.
    /// </summary>
    public async Task MarkUsedAsync(ShopperProfile profile, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (profile.UsedAt is not null || profile.ETag is null)
        {
            return;
        }

        profile.UsedAt = now;
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(profile), new ETag(profile.ETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            profile.ETag = response.Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Erased or saved meanwhile: either way nothing is left to mark.
        }
    }

    /// <summary>Erases the profile; true when there was one.</summary>
    public async Task<bool> DeleteAsync(string merchantId, string profileId, CancellationToken cancellationToken)
    {
        if (!TableKeys.IsValid(merchantId) || !TableKeys.IsValid(profileId))
        {
            return false;
        }

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
    /// Erases the profiles nobody came back for that were created before <paramref name="createdBefore"/>; returns how
    /// many. Each is deleted only as it was read, so a profile used meanwhile stays.
    /// </summary>
    public async Task<int> DeleteUnusedAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        var deleted = 0;
        var filter = TableClient.CreateQueryFilter($"Used eq {false} and CreatedAt lt {createdBefore.UtcDateTime}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, entity.ETag, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Gone, or used or saved since it was listed.
            }
        }

        return deleted;
    }

    /// <summary>
    /// Records a call against the shopper (for the export), creating a bare profile when none is stored.
    /// Optimistic: a concurrent save (409 on add, 412 on replace) reads again, under the app's concurrency policy.
    /// Adding the same call id again changes nothing.
    /// </summary>
    public async Task AddCallIdAsync(string merchantId, string profileId, string callId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        if (!TableKeys.IsValid(merchantId) || !TableKeys.IsValid(profileId))
        {
            return;
        }

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
                profile.UsedAt = now;
                await table.AddEntityAsync(ToEntity(profile), ct).ConfigureAwait(false);
            }
            else
            {
                profile.CallIds.Add(callId);
                profile.UpdatedAt = now;
                profile.UsedAt ??= now;
                await table.UpdateEntityAsync(ToEntity(profile), new ETag(profile.ETag!), TableUpdateMode.Replace, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private static TableEntity ToEntity(ShopperProfile p) => new(p.MerchantId, p.ProfileId)
    {
        ["Document"] = JsonSerializer.Serialize(p, AppJson.Options),
        ["Used"] = p.UsedAt is not null,
        ["CreatedAt"] = p.CreatedAt,
    };
}
