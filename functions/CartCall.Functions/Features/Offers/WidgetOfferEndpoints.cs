using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Features.Push;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using CartCall.Functions.Storage;

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
    [Problems(400, 401, 403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/sessions/{sessionId}/offers")] HttpRequest request,
        string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(cookies);
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

        var offer = WidgetRequest.From(request.HttpContext)!.Offer!;
        // Answering someone else's offer must look the same as answering one that does not exist.
        if (offer.Offer.MerchantId != body.MerchantId || offer.Offer.SessionId != body.SessionId)
        {
            return (null, Problems.NotFound($"There is no offer '{offerId}' for session '{body.SessionId}'."));
        }

        return (offer, null);
    }

    /// <summary>
    /// Applies <paramref name="change"/> with an ETag-guarded replace, re-reading on a lost race under the app's
    /// concurrency policy. The change returns false when the record needs no change (the idempotent repeat). True when
    /// this call changed it; null when the offer stayed contended.
    /// </summary>
    public static async Task<bool?> UpdateAsync(
        OfferRecord offer, TableOfferStore offers, OptimisticConcurrency concurrency, Func<OfferRecord, bool> change, CancellationToken cancellationToken)
    {
        OfferRecord? current = offer;
        try
        {
            return await concurrency.ExecuteAsync<bool?>($"Offer {offer.Offer.OfferId}", async ct =>
            {
                // The first attempt uses the offer the middleware loaded; after a lost race, read it again.
                current ??= await offers.GetAsync(offer.Offer.OfferId, ct).ConfigureAwait(false);
                if (current is null || !change(current))
                {
                    return false;
                }

                if (await offers.TryUpdateAsync(current, ct).ConfigureAwait(false))
                {
                    return true;
                }

                current = null;
                throw OptimisticConcurrency.Lost($"Offer {offer.Offer.OfferId}");
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return null;
        }
    }
}

/// <summary><c>POST /api/offers/{offerId}/shown</c> (publishable key): the widget displayed the offer. Idempotent.</summary>
public sealed class MarkOfferShown(TableOfferStore offers, OptimisticConcurrency concurrency, TimeProvider time)
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
        ArgumentNullException.ThrowIfNull(offers);
        var (offer, problem) = await OfferAnswers.ReadAsync(request, offerId, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var changed = await OfferAnswers.UpdateAsync(offer!, offers, concurrency, r =>
        {
            // Only a pending offer becomes shown; later states already imply it was shown.
            if (r.Status != OfferStatus.Pending)
            {
                return false;
            }

            r.Status = OfferStatus.Shown;
            r.ShownAt = now;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return changed is null ? Problems.Unavailable($"Offer '{offerId}' kept changing; retry.") : TypedResults.NoContent();
    }
}

/// <summary>
/// <c>POST /api/offers/{offerId}/dismiss</c> (publishable key): the shopper said no. Idempotent; counts once toward the
/// session's dismissals (the frequency cap), because only the call that moves the offer to dismissed counts it.
/// </summary>
public sealed partial class DismissOffer(TableOfferStore offers, ISessionStore sessions, OptimisticConcurrency concurrency, TimeProvider time, ILoggerFactory loggers)
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
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(loggers);
        var (offer, problem) = await OfferAnswers.ReadAsync(request, offerId, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (offer!.Status == OfferStatus.Accepted)
        {
            return Problems.Conflict($"Offer '{offerId}' was already accepted; it cannot be dismissed.");
        }

        var now = time.GetUtcNow();
        var accepted = false;
        var changed = await OfferAnswers.UpdateAsync(offer, offers, concurrency, r =>
        {
            accepted = r.Status == OfferStatus.Accepted;
            if (r.Status is not (OfferStatus.Pending or OfferStatus.Shown or OfferStatus.Expired))
            {
                return false;
            }

            r.Status = OfferStatus.Dismissed;
            r.AnsweredAt = now;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        if (changed is null)
        {
            return Problems.Unavailable($"Offer '{offerId}' kept changing; retry.");
        }

        if (accepted)
        {
            return Problems.Conflict($"Offer '{offerId}' was already accepted; it cannot be dismissed.");
        }

        if (changed == true && !await CountDismissalAsync(sessions, concurrency, offer.Offer.MerchantId, offer.Offer.SessionId, cancellationToken).ConfigureAwait(false))
        {
            // The dismissal stands; only the cap's count is short by one.
            LogCountLost(loggers.CreateLogger(typeof(DismissOffer)), offerId);
        }

        return TypedResults.NoContent();
    }

    private static async Task<bool> CountDismissalAsync(
        ISessionStore sessions, OptimisticConcurrency concurrency, string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            // A cart event saving the session meanwhile (SessionConflictException) counts again on a fresh copy.
            await concurrency.ExecuteAsync($"Session {merchantId}/{sessionId}", async ct =>
            {
                var loaded = await sessions.GetAsync(merchantId, sessionId, ct).ConfigureAwait(false);
                if (loaded is null)
                {
                    return;
                }

                loaded.Session.RecordOfferDismissed();
                await sessions.SaveAsync(loaded, null, loaded.ReevaluateAt, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offer {OfferId} is dismissed but its session stayed contended; the dismissal was not counted")]
    private static partial void LogCountLost(ILogger logger, string offerId);
}
