using System.Diagnostics;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// Carries out a decided offer's outbox row: publishes the offer to Event Grid, in the trace it was decided in.
/// Publishing twice is harmless: the offer id is the CloudEvent id and DeliverOffer stores each id once. An offer
/// that expired before it could be published is dropped: the shopper it was for is gone.
/// </summary>
public sealed class OfferOutboxHandler(EventGridPublisher publisher, TimeProvider time) : IOutboxHandler
{
    public OutboxKind Kind => OutboxKind.Offer;

    public async Task<OutboxResult> HandleAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (QueueMessages.TryRead<OfferFollowUp>(entry.Item.Payload) is not { Offer: { } offer } followUp || string.IsNullOrEmpty(offer.OfferId))
        {
            return OutboxResult.Drop;
        }

        if (offer.ExpiresAt <= time.GetUtcNow())
        {
            return OutboxResult.Drop;
        }

        // The publish continues the trace the offer was decided in (the cart event's), whether it runs right after the
        // save or later from the drain function or the sweeper. The Event Grid client stamps the span's context on the
        // CloudEvent (traceparent), so delivery joins the same trace.
        using var span = Telemetry.Start(Telemetry.Spans.OfferPublish, ActivityKind.Producer, followUp.TraceParent)
            .Ids(offer.MerchantId, offer.SessionId, offer.OfferId);
        try
        {
            await publisher.PublishAsync(offer.ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }

        return OutboxResult.Done;
    }
}
