using System.Text.Json;
using Azure.Storage.Queues;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// The offer outbox. An offer whose direct publish to Event Grid failed is queued here and published again with
/// the queue's retries and poison handling, so a decided offer is never lost to a passing Event Grid fault.
/// Publishing twice is harmless: the offer id is the CloudEvent id and DeliverOffer stores each id once.
/// </summary>
public sealed class OfferOutbox(StorageClients storage)
{
    private readonly QueueClient queue = storage.Queue(StorageNames.OfferOutboxQueue);

    public Task EnqueueAsync(OfferProposed offer, CancellationToken cancellationToken) =>
        queue.SendMessageAsync(JsonSerializer.Serialize(offer, AppJson.Options), cancellationToken: cancellationToken);
}

/// <summary>Queue-triggered (<c>offer-outbox</c>): publishes an offer the ingest path could not.</summary>
public sealed partial class PublishOffer(EventGridPublisher publisher, ILogger<PublishOffer> logger)
{

    [Function(nameof(PublishOffer))]
    public async Task RunAsync([QueueTrigger(StorageNames.OfferOutboxQueue)] string message, FunctionContext context, CancellationToken cancellationToken) =>
        QueueTrigger.Settle(await HandleAsync(message, QueueTrigger.DequeueCount(context), cancellationToken).ConfigureAwait(false), nameof(PublishOffer));

    public async Task<QueueOutcome> HandleAsync(string message, int dequeueCount, CancellationToken cancellationToken)
    {
        var offer = QueueMessages.TryRead<OfferProposed>(message);

        if (offer is null || string.IsNullOrEmpty(offer.OfferId))
        {
            LogMalformed(message.Length);
            return QueueOutcome.Completed;
        }

        await publisher.PublishAsync(offer.ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        LogPublished(offer.OfferId, dequeueCount);
        return QueueOutcome.Completed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed outbox message of {Length} characters")]
    private partial void LogMalformed(int length);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offer {OfferId} published from the outbox on attempt {Attempt}")]
    private partial void LogPublished(string offerId, int attempt);
}
