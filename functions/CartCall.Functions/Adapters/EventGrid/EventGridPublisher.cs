using System.ComponentModel.DataAnnotations;
using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.EventGrid;

/// <summary>The Event Grid topic CartCall publishes its CloudEvents to. Bound from <c>CartCall:EventGrid</c>.</summary>
public sealed class EventGridOptions : IValidatableObject
{
    public const string Section = "CartCall:EventGrid";

    [Required]
    public Uri? TopicEndpoint { get; set; }

    /// <summary>The topic access key; without it the app's managed identity is used.</summary>
    public string? TopicKey { get; set; }

    /// <summary>
    /// When set, deliveries to <c>DeliverOffer</c> must carry it as <c>?code=</c>. In Azure the Functions host's
    /// function key plays this part; locally this keeps strangers from posting offers.
    /// </summary>
    public string? DeliveryKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TopicEndpoint is { Scheme: "http" } && string.IsNullOrEmpty(TopicKey))
        {
            yield return new ValidationResult("EventGrid:TopicKey is needed for a plain-http (local) topic.", [nameof(TopicKey)]);
        }
    }
}

/// <summary>
/// The app's one publisher for its one topic (offers proposed, calls ended), with Microsoft's Event Grid client created
/// once. Features shape their own CloudEvents; this only sends them. The client stamps the current W3C trace context on
/// each CloudEvent as its <c>traceparent</c>/<c>tracestate</c> extension attributes (distributed tracing is on by
/// default in its options), so the subscriber's work joins the publisher's trace.
/// </summary>
public sealed class EventGridPublisher(IOptions<EventGridOptions> options)
{
    private readonly EventGridPublisherClient client = Create(options.Value);

    public async Task PublishAsync(CloudEvent cloudEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        await client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private static EventGridPublisherClient Create(EventGridOptions o) =>
        string.IsNullOrEmpty(o.TopicKey)
            ? new EventGridPublisherClient(o.TopicEndpoint!, new DefaultAzureCredential())
            : new EventGridPublisherClient(o.TopicEndpoint!, new AzureKeyCredential(o.TopicKey));
}
