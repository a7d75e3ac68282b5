using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>Publishes <c>CartCall.CallEnded</c> to the app's Event Grid topic (for billing and merchant hooks).</summary>
public sealed class EventGridCallPublisher(IOptions<EventGridOptions> options)
{
    private readonly EventGridPublisherClient client = Create(options.Value);

    public async Task PublishEndedAsync(CallEnded ended, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ended);
        var cloudEvent = new CloudEvent(
            CallEnded.Source(ended.MerchantId), CallEnded.EventType, BinaryData.FromObjectAsJson(ended, AppJson.Options), "application/json")
        {
            // Deterministic: a repeated publish is recognisable downstream as the same event.
            Id = ended.CallId + ".ended",
            Subject = CallEnded.Subject(ended.CallId),
            Time = ended.EndedAt,
        };
        await client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private static EventGridPublisherClient Create(EventGridOptions o) =>
        string.IsNullOrEmpty(o.TopicKey)
            ? new EventGridPublisherClient(o.TopicEndpoint!, new DefaultAzureCredential())
            : new EventGridPublisherClient(o.TopicEndpoint!, new AzureKeyCredential(o.TopicKey));
}
