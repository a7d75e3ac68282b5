using System.Diagnostics;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// The Offers feature service behind DeliverOffer: stores a delivered offer once per offer id (with the trace context
/// it was delivered in, which the accept continues) and tells the notifiers, e.g. the push to the shopper's browser.
/// </summary>
public sealed class OfferDeliveryService(TableOfferStore offers, ISessionStore sessions, IEnumerable<IOfferNotifier> notifiers)
{
    /// <summary>
    /// Delivers <paramref name="offer"/> (already checked with <see cref="OfferProposedRules"/>) in the trace its
    /// publisher started (<paramref name="traceParent"/>, from the CloudEvent). Nothing is done for an offer delivered
    /// before (Event Grid delivers at least once), nor for one whose id another merchant's or session's offer holds.
    /// </summary>
    public async Task<OfferStoreOutcome> DeliverAsync(OfferProposed offer, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        using var span = Telemetry.Start(Telemetry.Spans.OfferDelivery, ActivityKind.Consumer, traceParent, traceState)
            .Ids(offer.MerchantId, offer.SessionId, offer.OfferId);
        var context = Telemetry.CurrentTraceParent() ?? traceParent;

        // Worded in the currency the shopper was shown (Shopify Markets), from the session's cart.
        if (offer.ShopperCurrency is null)
        {
            var session = await sessions.GetAsync(offer.MerchantId, offer.SessionId, cancellationToken).ConfigureAwait(false);
            offer = offer.ForShopper(session?.Session.LatestCart);
        }

        var outcome = await offers.AddAsync(offer, cancellationToken, context).ConfigureAwait(false);
        if (outcome != OfferStoreOutcome.Stored)
        {
            span?.SetTag("cartcall.duplicate", true);
            return outcome;
        }

        var record = new OfferRecord { Offer = offer, Status = OfferStatus.Pending, TraceParent = context };
        foreach (var notifier in notifiers)
        {
            await notifier.OfferStoredAsync(record, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }
}
