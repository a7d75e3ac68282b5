using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Merchants;

/// <summary><c>GET /api/merchants/{merchantId}</c>: a merchant with its secrets redacted (admin).</summary>
public static class GetMerchant
{
    public const string Name = nameof(GetMerchant);

    public static async Task<IResult> HandleAsync(string merchantId, IMerchantStore merchants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchants);
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return merchant is null
            ? Problems.NotFound($"There is no merchant '{merchantId}'.")
            : TypedResults.Ok(merchant.Redacted());
    }
}
