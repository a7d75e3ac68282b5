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
    /// Every delivery to <c>DeliverOffer</c> must carry it as <c>?code=</c>: the function is anonymous to the Functions
    /// host, so this key is all that keeps strangers from posting offers. Required everywhere; Bicep generates it,
    /// keeps it in Key Vault and puts it in the Event Grid subscription's endpoint.
    /// </summary>
    [Required]
    [MinLength(16, ErrorMessage = "EventGrid:DeliveryKey must be at least 16 characters.")]
    public string? DeliveryKey { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TopicEndpoint is { Scheme: "http" } && string.IsNullOrEmpty(TopicKey))
        {
            yield return new ValidationResult("EventGrid:TopicKey is needed for a plain-http (local) topic.", [nameof(TopicKey)]);
        }

        // App Service leaves a Key Vault reference it cannot resolve as the literal text, which anyone can read in the
        // template: taking it as the key would make DeliverOffer open to all.
        if (DeliveryKey?.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase) == true)
        {
            yield return new ValidationResult("EventGrid:DeliveryKey is an unresolved Key Vault reference; grant the app's identity access to the secret.", [nameof(DeliveryKey)]);
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
