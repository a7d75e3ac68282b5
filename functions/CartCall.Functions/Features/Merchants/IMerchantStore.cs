namespace CartCall.Functions.Features.Merchants;

/// <summary>Where merchants are kept. Reads may be served from a short-lived cache.</summary>
public interface IMerchantStore
{
    /// <summary>The merchant with its weight history (<see cref="Merchant.WeightHistory"/>), or null.</summary>
    Task<Merchant?> GetAsync(string merchantId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces; returns true when the merchant is new.</summary>
    Task<bool> UpsertAsync(Merchant merchant, CancellationToken cancellationToken);

    /// <summary>Drops this instance's cached copy (its weights changed): the next read loads it afresh.</summary>
    void Forget(string merchantId);

    /// <summary>Every merchant's id, for work done per merchant (the daily refit).</summary>
    IAsyncEnumerable<string> ListIdsAsync(CancellationToken cancellationToken);
}
