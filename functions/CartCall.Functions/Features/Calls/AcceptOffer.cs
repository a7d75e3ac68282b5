using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using System.Globalization;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;

namespace CartCall.Functions.Features.Calls;

/// <summary>The accept body (contract: AcceptOffer).</summary>
public sealed class AcceptOfferRequest
{
    public string? MerchantId { get; set; }

    public string? SessionId { get; set; }

    /// <summary>What the shopper picked in the offer; null lets preferences decide.</summary>
    public CallMode? Mode { get; set; }

    public bool BrowserCanDoAudio { get; set; }

    /// <summary>Preferences sent along while the signed preference cookie is not in place: PutPreferences' body, checked the same way.</summary>
    public PreferencesUpdate? Preferences { get; set; }

    /// <summary>
    /// For a paid call: a payment method to confirm the hold with at once (Stripe's test methods such as
    /// <c>pm_card_visa</c>, or one the Payment Element created). Without it a paid call answers 402 with the hold's
    /// client secret; the widget's Payment Element confirms it, and the accept is sent again.
    /// </summary>
    public string? PaymentMethod { get; set; }
}

/// <summary>
/// <c>POST /api/offers/{offerId}/accept</c> (publishable key, merchant CORS, preference cookie): the shopper said yes.
/// Reads the body, the preference cookie and the client's address, and hands the accept to
/// <see cref="AcceptOfferService"/> (mode selection, guards, reservations, the call); answers 202 at once.
/// </summary>
public sealed class AcceptOffer(
    AcceptOfferService admission, PreferenceCookie cookies, CallDialer dialer, Hooks.TableHookStore hooks, IOptions<CallsOptions> options,
    IOptions<Hooks.HooksOptions> hookOptions, ILoggerFactory loggers)
{
    [Function(nameof(AcceptOffer))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Calls")]
    [RequestBody(typeof(AcceptOfferRequest))]
    [Response(202, typeof(AcceptOfferResponse))]
    [Problems(400, 401, 402, 403, 404, 409, 415, 429, 503)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/{offerId}/accept")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, string offerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = request.HttpContext;
        var (body, _, problem) = await JsonBody.ReadAsync<AcceptOfferRequest>(request, 16 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(body!.MerchantId) || string.IsNullOrEmpty(body.SessionId))
        {
            return Problems.BadRequest("merchantId and sessionId are required.");
        }

        // The signed cookie (cc_prefs_{merchantId}) when present and valid; otherwise the service checks the body's.
        var cookie = cookies.Read(request, body.MerchantId);
        var widget = WidgetRequest.From(context);
        var command = new AcceptOfferCommand(
            offerId, body.MerchantId, body.SessionId, body.Mode, body.BrowserCanDoAudio,
            cookie.IsValid ? cookie.Payload!.ToPreferences() : null, body.Preferences,
            widget?.Origin ?? request.Headers.Origin.FirstOrDefault(), ClientAddress.Of(context))
        {
            // The storefront middleware has loaded the offer to find its merchant; the service reads it only without it.
            Offer = widget?.Offer,
            PaymentMethod = body.PaymentMethod,
        };

        var starter = new DurableCallStarter(durable, dialer, hooks, options, hookOptions, loggers.CreateLogger<DurableCallStarter>());
        var outcome = await admission.AcceptAsync(command, starter, cancellationToken).ConfigureAwait(false);
        return outcome.Refusal switch
        {
            AcceptRefusal.None => TypedResults.Accepted(outcome.Location, outcome.Response),
            AcceptRefusal.NotFound => Problems.NotFound(outcome.Detail!),
            AcceptRefusal.Invalid => Problems.BadRequest(outcome.Detail!),
            AcceptRefusal.Forbidden => Problems.Forbidden(outcome.Detail!),
            AcceptRefusal.Conflict => Problems.Conflict(outcome.Detail!),
            AcceptRefusal.RateLimited => RateLimited(context, outcome),
            AcceptRefusal.PaymentRequired => Problems.PaymentRequired(outcome.Detail!, PaymentExtensions(outcome.Payment!)),
            _ => throw new InvalidOperationException($"Unknown refusal {outcome.Refusal}."),
        };
    }

    /// <summary>
    /// What the widget needs to take the payment: the price it showed, the hold's client secret, and which Payment Element
    /// to mount with it (<c>paymentElement {adapter, src}</c>).
    /// </summary>
    private static Dictionary<string, object?> PaymentExtensions(PaymentDue payment) => new()
    {
        ["price"] = payment.Price,
        ["clientSecret"] = payment.ClientSecret,
        ["publishableKey"] = payment.PublishableKey,
        ["declineCode"] = payment.DeclineCode,
        ["paymentElement"] = payment.Element,
    };

    private static IResult RateLimited(HttpContext context, AcceptOfferOutcome outcome)
    {
        var wait = outcome.RetryAfter ?? TimeSpan.FromSeconds(1);
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.TooManyRequests(outcome.Detail!);
    }
}
