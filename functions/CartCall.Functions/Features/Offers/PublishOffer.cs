using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>Queues the offer, with the trace context it was decided in (a <c>traceparent</c> beside the offer's fields).</summary>
    public Task EnqueueAsync(OfferProposed offer, string? traceParent, CancellationToken cancellationToken)
    {
        var message = JsonSerializer.SerializeToNode(offer, AppJson.Options)!.AsObject();
        if (traceParent is not null)
        {
            message[Telemetry.TraceParentAttribute] = traceParent;
        }

        return queue.SendMessageAsync(message.ToJsonString(AppJson.Options), cancellationToken: cancellationToken);
    }

    /// <summary>The trace context an outbox message carries, if any (older messages carry none).</summary>
    public static string? TraceParentOf(string message)
    {
        try
        {
            return JsonNode.Parse(message)?[Telemetry.TraceParentAttribute]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }
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

        // The publish continues the trace the offer was decided in.
        using (Telemetry.Start(Telemetry.Spans.OfferPublish, ActivityKind.Producer, OfferOutbox.TraceParentOf(message)).Ids(offer.MerchantId, offer.SessionId, offer.OfferId))
        {
            await publisher.PublishAsync(offer.ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        }

        LogPublished(offer.OfferId, dequeueCount);
        return QueueOutcome.Completed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed outbox message of {Length} characters")]
    private partial void LogMalformed(int length);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offer {OfferId} published from the outbox on attempt {Attempt}")]
    private partial void LogPublished(string offerId, int attempt);
}
