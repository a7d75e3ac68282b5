using CartCall.Functions.Features.OpenApi;
using System.Text.Json;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// <c>POST /api/merchants/{merchantId}/shopify</c>: Shopify's checkouts/create and checkouts/update webhooks as Shopify
/// sends them. Deduplicated on X-Shopify-Event-Id (falling back to X-Shopify-Webhook-Id).
/// </summary>
public sealed class ReceiveShopifyWebhook(IMerchantStore merchants, SessionEvaluator evaluator, TimeProvider time)
{
    [Function(nameof(ReceiveShopifyWebhook))]
    [ApiTag("Cart events")]
    [RequestBody(typeof(ShopifyCheckout))]
    [Response(202, typeof(CartEventAccepted))]
    [Problems(400, 401, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/shopify")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchants);
        ArgumentNullException.ThrowIfNull(evaluator);

        var (merchant, raw, refused) = await WebhookIntake.ReadAsync(merchantId, request, merchants, ShopifyCheckoutMapper.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var headers = request.Headers;
        var signatureProblem = WebhookSignatures.VerifyShopify(headers["X-Shopify-Hmac-Sha256"].ToString(), raw!, WebhookIntake.SecretsOf(merchant));
        if (signatureProblem is not null || merchant is null)
        {
            return Problems.Unauthorized(signatureProblem ?? WebhookSignatures.ShopifyNoMatch);
        }

        var topic = headers["X-Shopify-Topic"].ToString();
        if (topic is not (ShopifyCheckoutMapper.TopicCreate or ShopifyCheckoutMapper.TopicUpdate))
        {
            return Problems.BadRequest($"X-Shopify-Topic '{topic}' is not handled; subscribe this address to checkouts/create and checkouts/update.");
        }

        var deliveryId = FirstNonEmpty(headers["X-Shopify-Event-Id"].ToString(), headers["X-Shopify-Webhook-Id"].ToString());
        if (deliveryId is null)
        {
            return Problems.BadRequest("X-Shopify-Event-Id or X-Shopify-Webhook-Id is required to recognise repeat deliveries.");
        }

        DateTimeOffset? triggeredAt = DateTimeOffset.TryParse(headers["X-Shopify-Triggered-At"].ToString(), System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : null;
        ShopifyCheckout? checkout;
        try
        {
            checkout = JsonSerializer.Deserialize<ShopifyCheckout>(raw);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The Shopify payload is not a valid checkout: {e.Message}");
        }

        if (checkout is null)
        {
            return Problems.BadRequest("The Shopify payload is JSON null.");
        }

        var (cartEvent, problems) = ShopifyCheckoutMapper.ToDomain(checkout, topic, "shopify:" + deliveryId, triggeredAt, merchant.Currency, time.GetUtcNow());
        if (cartEvent is null)
        {
            return Problems.BadRequest("The Shopify checkout could not be read as a cart event.", problems);
        }

        var result = await evaluator.IngestAsync(merchant, cartEvent, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted((string?)null, CartEventAccepted.From(cartEvent.EventId, result));
    }

    private static string? FirstNonEmpty(params string[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
