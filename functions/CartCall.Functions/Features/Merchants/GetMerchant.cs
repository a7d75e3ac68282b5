using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Merchants;

/// <summary><c>GET /api/merchants/{merchantId}</c>: a merchant with its secrets redacted (admin).</summary>
public sealed class GetMerchant(IMerchantStore merchants)
{
    [Function(nameof(GetMerchant))]
    [AdminApi]
    [ApiTag("Merchants")]
    [Response(200, typeof(Merchant))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return merchant is null
            ? Problems.NotFound($"There is no merchant '{merchantId}'.")
            : TypedResults.Ok(merchant.Redacted());
    }
}
