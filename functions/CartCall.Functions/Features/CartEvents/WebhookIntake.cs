using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// The first steps every storefront webhook takes, in the same order: the merchant must exist, the body must be
/// JSON and within the size limit, read whole as bytes because the signature covers exactly those bytes.
/// </summary>
public static class WebhookIntake
{
    public static async Task<(Merchant? Merchant, byte[]? Body, IResult? Problem)> ReadAsync(
        string merchantId, HttpRequest request, IMerchantStore merchants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchants);
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return (null, null, Problems.NotFound($"There is no merchant '{merchantId}'."));
        }

        if (!RequestBody.IsJson(request))
        {
            return (null, null, Problems.UnsupportedMediaType("application/json"));
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(request, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        return tooLarge is not null ? (null, null, tooLarge) : (merchant, body, null);
    }
}
