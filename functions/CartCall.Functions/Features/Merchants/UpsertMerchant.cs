using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Merchants;

/// <summary><c>PUT /api/merchants/{merchantId}</c>: create or replace a merchant (admin).</summary>
public sealed class UpsertMerchant(IMerchantStore merchants, Learning.WeightRefitService weights, TimeProvider time)
{
    [Function(nameof(UpsertMerchant))]
    [AdminApi]
    [ApiTag("Merchants")]
    [RequestBody(typeof(Merchant))]
    [Response(200, typeof(Merchant))]
    [Response(201, typeof(Merchant))]
    [Problems(400, 401)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (merchant, _, problem) = await JsonBody.ReadAsync<Merchant>(request, 64 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!string.IsNullOrEmpty(merchant!.Id) && merchant.Id != merchantId)
        {
            return Problems.BadRequest($"The body's id '{merchant.Id}' differs from the route's '{merchantId}'.");
        }

        merchant.Id = merchantId;
        var problems = MerchantValidator.Validate(merchant);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The merchant is not valid.", problems);
        }

        // A replace that omits the key keeps the one the storefront already embeds; only a new merchant gets a fresh one.
        var existing = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(merchant.PublishableKey))
        {
            merchant.PublishableKey = existing?.PublishableKey ?? PublishableKeys.Generate();
        }

        merchant.UpdatedAt = time.GetUtcNow();
        var created = await merchants.UpsertAsync(merchant, cancellationToken).ConfigureAwait(false);

        // New weight overrides are the merchant's own weights: they go live at once, recorded in the weight history.
        if (existing is not null)
        {
            await weights.MerchantWeightsChangedAsync(existing, merchant, cancellationToken).ConfigureAwait(false);
        }

        return created
            ? TypedResults.Created($"/api/merchants/{merchantId}", merchant.Redacted())
            : TypedResults.Ok(merchant.Redacted());
    }
}
