namespace CartCall.Functions.Features.Merchants;

/// <summary>Where merchants are kept. Reads may be served from a short-lived cache.</summary>
public interface IMerchantStore
{
    Task<Merchant?> GetAsync(string merchantId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces; returns true when the merchant is new.</summary>
    Task<bool> UpsertAsync(Merchant merchant, CancellationToken cancellationToken);
}
