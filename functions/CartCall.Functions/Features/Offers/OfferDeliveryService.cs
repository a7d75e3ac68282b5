using System.Diagnostics;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// The Offers feature service behind DeliverOffer: stores a delivered offer once (with the trace context it was
/// delivered in, which the accept continues) and tells the notifiers, e.g. the push to the shopper's browser.
/// </summary>
public sealed class OfferDeliveryService(TableOfferStore offers, IEnumerable<IOfferNotifier> notifiers)
{
    /// <summary>
    /// Delivers <paramref name="offer"/> in the trace its publisher started (<paramref name="traceParent"/>, from the
    /// CloudEvent); false when it was delivered before (Event Grid delivers at least once), and then nothing is done.
    /// </summary>
    public async Task<bool> DeliverAsync(OfferProposed offer, string? traceParent, string? traceState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        using var span = Telemetry.Start(Telemetry.Spans.OfferDelivery, ActivityKind.Consumer, traceParent, traceState)
            .Ids(offer.MerchantId, offer.SessionId, offer.OfferId);
        var context = Telemetry.CurrentTraceParent() ?? traceParent;
        if (!await offers.TryAddAsync(offer, cancellationToken, context).ConfigureAwait(false))
        {
            span?.SetTag("cartcall.duplicate", true);
            return false;
        }

        var record = new OfferRecord { Offer = offer, Status = OfferStatus.Pending, TraceParent = context };
        foreach (var notifier in notifiers)
        {
            await notifier.OfferStoredAsync(record, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }
}
