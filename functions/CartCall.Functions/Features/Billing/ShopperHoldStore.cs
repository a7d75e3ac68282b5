using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Billing;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Billing;

[JsonConverter(typeof(JsonStringEnumConverter<HoldStatus>))]
public enum HoldStatus
{
    /// <summary>Created at the provider; the shopper has not authorised it yet.</summary>
    [JsonStringEnumMemberName("pending")] Pending,

    /// <summary>Authorised on the card.</summary>
    [JsonStringEnumMemberName("held")] Held,

    [JsonStringEnumMemberName("captured")] Captured,

    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

/// <summary>A shopper's hold for a paid call (table <c>holds</c>, partition = call id).</summary>
public sealed class ShopperHold
{
    public string CallId { get; set; } = "";

    public string MerchantId { get; set; } = "";

    public string PaymentId { get; set; } = "";

    /// <summary>For the widget's payment form while the hold is pending; cleared once settled.</summary>
    public string? ClientSecret { get; set; }

    public ShopperPrice Price { get; set; } = null!;

    public long AmountMinor { get; set; }

    public string Currency { get; set; } = "";

    public HoldStatus Status { get; set; }

    public long? CapturedMinor { get; set; }

    /// <summary>Why it was cancelled (never connected, too short, expired, swept…).</summary>
    public string? Reason { get; set; }

    /// <summary>The merchant's statement month of the call (fixed at accept).</summary>
    public string Period { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? AuthorizedAt { get; set; }

    public DateTimeOffset? SettledAt { get; set; }

    /// <summary>Refunds given on the captured amount, by CartCall's refund id (so a retried refund is recognised).</summary>
    public List<HoldRefund> Refunds { get; set; } = [];

    [JsonIgnore]
    public long RefundedMinor => Refunds.Sum(r => r.AmountMinor);

    [JsonIgnore]
    public ETag ETag { get; set; }

    [JsonIgnore]
    public Money Amount => new(AmountMinor, Domain.Billing.Currency.Of(Currency));

    [JsonIgnore]
    public bool IsOpen => Status is HoldStatus.Pending or HoldStatus.Held;
}

/// <summary>One refund of a captured hold.</summary>
public sealed record HoldRefund(string RefundId, long AmountMinor, string ProviderRefundId, DateTimeOffset At);

public interface IShopperHoldStore
{
    Task<ShopperHold?> GetAsync(string callId, CancellationToken cancellationToken);

    /// <summary>Adds the hold; when one exists for the call already, returns that one instead (a retried accept).</summary>
    Task<ShopperHold> AddAsync(ShopperHold hold, CancellationToken cancellationToken);

    /// <summary>Replaces the hold if nobody changed it since it was read; false when somebody did (re-read and retry).</summary>
    Task<bool> TryUpdateAsync(ShopperHold hold, CancellationToken cancellationToken);

    /// <summary>Holds still pending or held that were created before <paramref name="createdBefore"/>.</summary>
    IAsyncEnumerable<ShopperHold> ListOpenAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken);
}

public sealed class TableShopperHoldStore(StorageClients storage) : IShopperHoldStore
{
    private const string Row = "hold";
    private readonly TableClient table = storage.Table(StorageNames.HoldsTable);

    public async Task<ShopperHold?> GetAsync(string callId, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(callId, Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async Task<ShopperHold> AddAsync(ShopperHold hold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        try
        {
            var response = await table.AddEntityAsync(ToEntity(hold), cancellationToken).ConfigureAwait(false);
            hold.ETag = response.Headers.ETag ?? default;
            return hold;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return (await GetAsync(hold.CallId, cancellationToken).ConfigureAwait(false))!;
        }
    }

    public async Task<bool> TryUpdateAsync(ShopperHold hold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hold);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(hold), hold.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            hold.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<ShopperHold> ListOpenAsync(DateTimeOffset createdBefore,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"(Status eq {"pending"} or Status eq {"held"}) and CreatedAt lt {createdBefore}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return FromEntity(entity);
        }
    }

    private static TableEntity ToEntity(ShopperHold hold) => new(hold.CallId, Row)
    {
        ["Document"] = JsonSerializer.Serialize(hold, AppJson.Options),
        // Indexed copies for the sweep's filter.
        ["Status"] = hold.Status.ToString().ToLowerInvariant(),
        ["CreatedAt"] = hold.CreatedAt,
    };

    private static ShopperHold FromEntity(TableEntity entity)
    {
        var hold = JsonSerializer.Deserialize<ShopperHold>(entity.GetString("Document"), AppJson.Options)!;
        hold.ETag = entity.ETag;
        return hold;
    }
}
