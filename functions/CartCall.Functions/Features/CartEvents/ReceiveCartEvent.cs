using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.CartEvents;

/// <summary>
/// <c>POST /api/merchants/{merchantId}/cart-events</c>: a storefront's signed cart event. Answers 202 once the event
/// is applied and the decision stored; a repeat delivery answers 202 too and changes nothing.
/// </summary>
public sealed class ReceiveCartEvent(IMerchantStore merchants, SessionEvaluator evaluator, TimeProvider time)
{
    [Function(nameof(ReceiveCartEvent))]
    [ApiTag("Cart events")]
    [RequestBody(typeof(CartEventMessage))]
    [Response(202, typeof(CartEventAccepted))]
    [Problems(400, 401, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/cart-events")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchants);
        ArgumentNullException.ThrowIfNull(evaluator);

        var (merchant, raw, refused) = await WebhookIntake.ReadAsync(merchantId, request, merchants, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var signatureProblem = WebhookSignatures.VerifyCartCall(
            request.Headers[WebhookSignatures.CartCallHeader].ToString(), raw!, WebhookIntake.SecretsOf(merchant), time.GetUtcNow());
        if (signatureProblem is not null || merchant is null)
        {
            return Problems.Unauthorized(signatureProblem ?? WebhookSignatures.NoMatch);
        }

        var (message, parseProblem) = JsonBody.Parse<CartEventMessage>(raw);
        if (parseProblem is not null)
        {
            return parseProblem;
        }

        var (cartEvent, problems) = CartEventMapper.ToDomain(message!, merchant.Currency, time.GetUtcNow());
        if (cartEvent is null)
        {
            return Problems.BadRequest("The cart event is not valid.", problems);
        }

        var result = await evaluator.IngestAsync(merchant, cartEvent, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted((string?)null, CartEventAccepted.From(cartEvent.EventId, result));
    }
}

/// <summary>
/// The answer to a cart event: accepted, whether it had been seen before, and what CartCall decided, so a storefront
/// developer can see the effect of an event without opening the decision log.
/// </summary>
public sealed record CartEventAccepted(string EventId, bool Duplicate, double? Score, string? State, bool OfferProposed, string? OfferId)
{
    public static CartEventAccepted From(string eventId, IngestResult result) =>
        new(eventId, result.Outcome == IngestOutcome.Duplicate, result.Decision?.Score, result.Decision?.State, result.Decision?.Propose == true, result.Decision?.OfferId);
}
