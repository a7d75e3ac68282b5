using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// The first steps every storefront webhook takes, in the same order: the body must be JSON and within the size
/// limit, read whole as bytes because the signature covers exactly those bytes; then the merchant is looked up. An
/// unknown merchant is not told apart from a known one: the caller then verifies the signature against no secrets,
/// so both get the same 401 (a stranger cannot probe which merchant ids exist).
/// </summary>
public static class WebhookIntake
{
    /// <summary>
    /// The request's merchant (null when there is none: verify against <see cref="SecretsOf"/> all the same) and its
    /// body, or the 415/413 problem to answer.
    /// </summary>
    public static async Task<(Merchant? Merchant, byte[]? Body, IResult? Problem)> ReadAsync(
        string merchantId, HttpRequest request, IMerchantStore merchants, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchants);
        if (!RequestBody.IsJson(request))
        {
            return (null, null, Problems.UnsupportedMediaType("application/json"));
        }

        var (body, tooLarge) = await RequestBody.ReadAsync(request, limit, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return (null, null, tooLarge);
        }

        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return (merchant, body, null);
    }

    /// <summary>The secrets to verify with: none for an unknown merchant, so its signature fails exactly as a wrong one does.</summary>
    public static IReadOnlyList<string> SecretsOf(Merchant? merchant) => merchant?.SigningSecrets ?? [];
}
