using System.ComponentModel.DataAnnotations;
using Azure;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using CartCall.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Offers;

/// <summary>The Event Grid topic offers are published to. Bound from <c>EventGrid</c>.</summary>
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

/// <summary>Publishes offer CloudEvents with Microsoft's Event Grid client (created once).</summary>
public sealed class EventGridOfferPublisher(IOptions<EventGridOptions> options)
{
    private readonly EventGridPublisherClient client = Create(options.Value);

    public async Task PublishAsync(OfferProposed offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var cloudEvent = new CloudEvent(
            OfferProposed.Source(offer.MerchantId), OfferProposed.EventType, BinaryData.FromObjectAsJson(offer, AppJson.Options), "application/json")
        {
            Id = offer.OfferId,
            Subject = OfferProposed.Subject(offer.SessionId),
            Time = offer.ProposedAt,
        };
        await client.SendEventAsync(cloudEvent, cancellationToken).ConfigureAwait(false);
    }

    private static EventGridPublisherClient Create(EventGridOptions o) =>
        string.IsNullOrEmpty(o.TopicKey)
            ? new EventGridPublisherClient(o.TopicEndpoint!, new DefaultAzureCredential())
            : new EventGridPublisherClient(o.TopicEndpoint!, new AzureKeyCredential(o.TopicKey));
}
