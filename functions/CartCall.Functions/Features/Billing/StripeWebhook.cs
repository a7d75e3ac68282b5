using System.Text;
using CartCall.Functions.Adapters.Stripe;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// <c>POST /api/billing/stripe/webhooks</c>: Stripe's <c>payment_intent.*</c> events. Anonymous to the host; the
/// <c>Stripe-Signature</c> (HMAC over the exact body, either of two secrets while rolling, timestamp within the
/// tolerance) is the authentication, so a forged, altered or stale (replayed later) delivery is a 400 that changes
/// nothing. A verified event reconciles the call's hold with the ledger; a repeated delivery finds it reconciled.
/// </summary>
public sealed class StripeWebhook(StripeWebhookVerifier verifier, BillingService billing)
{
    /// <summary>Stripe's events are a few kB; anything this big is not one.</summary>
    private const int MaxBytes = 64 * 1024;

    [Function(nameof(StripeWebhook))]
    [ApiTag("Billing")]
    [RequestBody(typeof(object))]
    [Response(200)]
    [Problems(400, 413)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "billing/stripe/webhooks")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (body, tooLarge) = await RequestBody.ReadAsync(request, MaxBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        var verification = verifier.Verify(Encoding.UTF8.GetString(body!), request.Headers["Stripe-Signature"].ToString());
        if (!verification.Ok)
        {
            return Problems.BadRequest(verification.Problem!);
        }

        // Events for payments that are not a call's hold (or types billing does not follow) are acknowledged, so
        // Stripe stops resending them. A failure to reconcile escapes as a 5xx and Stripe retries the delivery.
        var settlement = await billing.ReconcileAsync(verification.Event!, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new { received = true, hold = settlement?.Status.ToString().ToLowerInvariant() });
    }
}
