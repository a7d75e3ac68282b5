using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Features.Push;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;

namespace CartCall.Functions.Features.Offers;

/// <summary>The offers still open for a session, for the widget to catch up on when its socket was down.</summary>
public sealed record SessionOffers(IReadOnlyList<OfferView> Offers);

/// <summary>Body of MarkOfferShown and DismissOffer: which session the widget believes the offer is for.</summary>
public sealed class OfferAnswer
{
    public string? MerchantId { get; set; }

    public string? SessionId { get; set; }
}

/// <summary><c>GET /api/merchants/{merchantId}/sessions/{sessionId}/offers</c> (publishable key): pending and shown offers that have not expired.</summary>
public sealed class ListSessionOffers(TableOfferStore offers, PreferenceCookie cookies, TimeProvider time)
{
    [Function(nameof(ListSessionOffers))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Widget")]
    [Response(200, typeof(SessionOffers))]
    [Problems(400, 401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/sessions/{sessionId}/offers")] HttpRequest request,
        string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(cookies);
        if (WidgetRequest.From(request.HttpContext) is null)
        {
            return PublishableKeys.Refused();
        }

        if (PushUsers.SessionIdProblem(sessionId) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var now = time.GetUtcNow();
        var language = ShopperLanguage.Resolve(request, cookies.Read(request, merchantId).Payload?.Language);
        var open = (await offers.ListForSessionAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Status is OfferStatus.Pending or OfferStatus.Shown && r.Offer.ExpiresAt > now)
            .OrderBy(r => r.Offer.ProposedAt)
            .Select(r => OfferView.From(r, language))
            .ToList();
        return TypedResults.Ok(new SessionOffers(open));
    }
}

/// <summary>Shared steps of the widget's answers to an offer.</summary>
internal static class OfferAnswers
{
    public const int MaxBodyBytes = 4 * 1024;

    /// <summary>The offer the route names, once the body confirms it is this merchant's and session's; else the problem.</summary>
    public static async Task<(OfferRecord? Offer, IResult? Problem)> ReadAsync(HttpRequest request, string offerId, CancellationToken cancellationToken)
    {
        var (body, _, problem) = await JsonBody.ReadAsync<OfferAnswer>(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return (null, problem);
        }

        if (string.IsNullOrEmpty(body!.MerchantId) || PushUsers.SessionIdProblem(body.SessionId) is not null)
        {
            return (null, Problems.BadRequest("The body needs the merchantId and sessionId the offer was made for."));
        }

        // The storefront gate loaded the offer; without it (the gate did not run) nothing is known about the caller.
        if (WidgetRequest.From(request.HttpContext)?.Offer is not { } offer)
        {
            return (null, PublishableKeys.Refused());
        }

        // Answering someone else's offer must look the same as answering one that does not exist.
        if (offer.Offer.MerchantId != body.MerchantId || offer.Offer.SessionId != body.SessionId)
        {
            return (null, Problems.NotFound($"There is no offer '{offerId}' for session '{body.SessionId}'."));
        }

        return (offer, null);
    }
}

/// <summary><c>POST /api/offers/{offerId}/shown</c> (publishable key): the widget displayed the offer. Idempotent.</summary>
public sealed class MarkOfferShown(OfferAnswerService answers)
{
    [Function(nameof(MarkOfferShown))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Widget")]
    [RequestBody(typeof(OfferAnswer))]
    [Response(204)]
    [Problems(400, 401, 403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/{offerId}/shown")] HttpRequest request,
        string offerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (offer, problem) = await OfferAnswers.ReadAsync(request, offerId, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        return await answers.MarkShownAsync(offer!, cancellationToken).ConfigureAwait(false) == OfferAnswerResult.Contended
            ? Problems.Unavailable($"Offer '{offerId}' kept changing; retry.")
            : TypedResults.NoContent();
    }
}

/// <summary>
/// <c>POST /api/offers/{offerId}/dismiss</c> (publishable key): the shopper said no. Idempotent; counts once toward the
/// session's dismissals (the frequency cap), because only the call that moves the offer to dismissed counts it.
/// A paid offer dismissed at the payment step has a hold (pending or authorised) that no call will ever settle: it is
/// cancelled here, on every dismissal, so a widget retrying a dismissal whose cancel failed still releases it.
/// </summary>
public sealed class DismissOffer(OfferAnswerService answers, Billing.BillingService billing)
{
    [Function(nameof(DismissOffer))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Widget")]
    [RequestBody(typeof(OfferAnswer))]
    [Response(204)]
    [Problems(400, 401, 403, 404, 409)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/{offerId}/dismiss")] HttpRequest request,
        string offerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (offer, problem) = await OfferAnswers.ReadAsync(request, offerId, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        switch (await answers.DismissAsync(offer!, cancellationToken).ConfigureAwait(false))
        {
            case OfferAnswerResult.AlreadyAccepted:
                return Problems.Conflict($"Offer '{offerId}' was already accepted; it cannot be dismissed.");
            case OfferAnswerResult.Contended:
                return Problems.Unavailable($"Offer '{offerId}' kept changing; retry.");
        }

        // Asked on every dismissal, not only of offers delivered with a price: the accept holds at the merchant's price
        // of the moment, which may have been set after the offer went out. One point read when there is no hold.
        await billing.ReleaseHoldAsync(Calls.CallIds.ForOffer(offerId), "dismissed", cancellationToken).ConfigureAwait(false);

        return TypedResults.NoContent();
    }
}
