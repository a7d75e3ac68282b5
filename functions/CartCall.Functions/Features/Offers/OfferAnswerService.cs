using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>What answering an offer came to.</summary>
public enum OfferAnswerResult
{
    /// <summary>This answer moved the offer on.</summary>
    Changed,

    /// <summary>Nothing to change: the idempotent repeat, or a later state that implies this one.</summary>
    Unchanged,

    /// <summary>The offer kept changing under the answer; the caller may retry.</summary>
    Contended,

    /// <summary>A dismissal of an offer the shopper has accepted.</summary>
    AlreadyAccepted,

    /// <summary>An accept of an offer the shopper has dismissed, or that expired, meanwhile.</summary>
    NoLongerOpen,
}

/// <summary>
/// The Offers feature service behind the widget's answers to an offer (shown, dismissed): each is an ETag-guarded
/// change of the offer under the app's concurrency policy, and a dismissal counts once toward the session's
/// dismissals (the frequency cap), because only the answer that moves the offer to dismissed counts it.
/// </summary>
public sealed partial class OfferAnswerService(
    TableOfferStore offers, ISessionStore sessions, Experiments.ExperimentOutcomes experiment, OptimisticConcurrency concurrency, TimeProvider time,
    ILogger<OfferAnswerService> logger)
{
    /// <summary>The widget displayed the offer: only a pending offer becomes shown; later states already imply it was.</summary>
    public async Task<OfferAnswerResult> MarkShownAsync(OfferRecord offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var now = time.GetUtcNow();
        var result = await UpdateAsync(offer, r =>
        {
            if (r.Status != OfferStatus.Pending)
            {
                return false;
            }

            r.Status = OfferStatus.Shown;
            r.ShownAt = now;
            return true;
        }, cancellationToken).ConfigureAwait(false);

        // The experiment counts the offer as shown on every report (a merge, so repeats change nothing): a widget that
        // retries after a lost answer mends a mark that was lost with it.
        if (result != OfferAnswerResult.Contended)
        {
            await experiment.OfferShownAsync(offer.Offer.MerchantId, offer.Offer.SessionId, offer.ShownAt ?? now, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// The accept's claim on the offer, made before its call exists: a pending or shown offer becomes accepted for
    /// <paramref name="callId"/>. The offer's ETag decides between an accept and a dismissal that race: whichever moves
    /// the offer first wins, and the other is refused, so a paid offer's hold is either kept for its call or released
    /// by the dismissal, never both. A repeated accept of the same call is <see cref="OfferAnswerResult.Unchanged"/>.
    /// </summary>
    public async Task<OfferAnswerResult> ClaimForCallAsync(OfferRecord offer, string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var now = time.GetUtcNow();
        var closed = false;
        var result = await UpdateAsync(offer, r =>
        {
            closed = r.Status is not (OfferStatus.Pending or OfferStatus.Shown or OfferStatus.Accepted);
            if (closed || r.Status == OfferStatus.Accepted)
            {
                return false;
            }

            r.Status = OfferStatus.Accepted;
            r.AnsweredAt = now;
            r.CallId = callId;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return result != OfferAnswerResult.Contended && closed ? OfferAnswerResult.NoLongerOpen : result;
    }

    /// <summary>The shopper said no: a pending, shown or expired offer becomes dismissed, and the session counts it once.</summary>
    public async Task<OfferAnswerResult> DismissAsync(OfferRecord offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        if (offer.Status == OfferStatus.Accepted)
        {
            return OfferAnswerResult.AlreadyAccepted;
        }

        var now = time.GetUtcNow();
        var accepted = false;
        var result = await UpdateAsync(offer, r =>
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
        if (result == OfferAnswerResult.Contended)
        {
            return result;
        }

        if (accepted)
        {
            return OfferAnswerResult.AlreadyAccepted;
        }

        if (result == OfferAnswerResult.Changed && !await CountDismissalAsync(offer.Offer.MerchantId, offer.Offer.SessionId, cancellationToken).ConfigureAwait(false))
        {
            // The dismissal stands; only the cap's count is short by one.
            LogCountLost(offer.Offer.OfferId);
        }

        return result;
    }

    /// <summary>
    /// Applies <paramref name="change"/> with an ETag-guarded replace, re-reading on a lost race under the app's
    /// concurrency policy. The change returns false when the record needs no change (the idempotent repeat).
    /// </summary>
    private async Task<OfferAnswerResult> UpdateAsync(OfferRecord offer, Func<OfferRecord, bool> change, CancellationToken cancellationToken)
    {
        OfferRecord? current = offer;
        try
        {
            return await concurrency.ExecuteAsync($"Offer {offer.Offer.OfferId}", async ct =>
            {
                // The first attempt uses the offer the middleware loaded; after a lost race, read it again.
                current ??= await offers.GetAsync(offer.Offer.OfferId, ct).ConfigureAwait(false);
                if (current is null || !change(current))
                {
                    return OfferAnswerResult.Unchanged;
                }

                if (await offers.TryUpdateAsync(current, ct).ConfigureAwait(false))
                {
                    return OfferAnswerResult.Changed;
                }

                current = null;
                throw OptimisticConcurrency.Lost($"Offer {offer.Offer.OfferId}");
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            return OfferAnswerResult.Contended;
        }
    }

    private async Task<bool> CountDismissalAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
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
                await sessions.SaveAsync(loaded, null, loaded.ReevaluateAt, null, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrencyConflictException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offer {OfferId} is dismissed but its session stayed contended; the dismissal was not counted")]
    private partial void LogCountLost(string offerId);
}
