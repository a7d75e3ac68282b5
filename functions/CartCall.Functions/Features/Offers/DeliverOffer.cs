using CartCall.Functions.Features.OpenApi;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// <c>OPTIONS|POST /api/offers/deliveries</c>: the Event Grid webhook subscriber for <c>CartCall.OfferProposed</c>.
/// Answers the CloudEvents validation handshake (and the Event Grid schema one), then stores each offer once and
/// tells the notifiers (<see cref="OfferDeliveryService"/>). Event Grid delivers at least once: a repeat is acknowledged and ignored.
/// </summary>
public sealed partial class DeliverOffer(IOptions<EventGridOptions> options, OfferDeliveryService delivery, ILoggerFactory loggers)
{
    [Function(nameof(DeliverOffer))]
    [ApiTag("Offers")]
    [Problems(400, 401, 413)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/deliveries")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HttpMethods.IsOptions(request.Method) ? Handshake(request) : await DeliverAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CloudEvents abuse-protection handshake: Event Grid asks before it delivers to this address.</summary>
    private IResult Handshake(HttpRequest request)
    {
        if (!KeyMatches(request, options.Value))
        {
            return Problems.Unauthorized("The delivery key (code query parameter) is missing or wrong.");
        }

        var origin = request.Headers["WebHook-Request-Origin"].ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return Problems.BadRequest("A CloudEvents validation request carries WebHook-Request-Origin.");
        }

        var headers = request.HttpContext.Response.Headers;
        headers["WebHook-Allowed-Origin"] = origin;
        headers["WebHook-Allowed-Rate"] = "*";
        headers.Allow = "POST, OPTIONS";
        return TypedResults.Ok();
    }

    private async Task<IResult> DeliverAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!KeyMatches(request, options.Value))
        {
            return Problems.Unauthorized("The delivery key (code query parameter) is missing or wrong.");
        }

        var (raw, tooLarge) = await RequestBody.ReadAsync(request, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (request.Headers["aeg-event-type"] == "SubscriptionValidation")
        {
            return ValidateEventGridSchema(raw!);
        }

        CloudEvent[] events;
        try
        {
            events = CloudEvent.ParseMany(BinaryData.FromBytes(raw!), skipValidation: false);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException)
        {
            return Problems.BadRequest($"The body is not a CloudEvents batch: {e.Message}");
        }

        var logger = loggers.CreateLogger(typeof(DeliverOffer));
        foreach (var cloudEvent in events)
        {
            if (cloudEvent.Type != OfferProposed.EventType || cloudEvent.Data is null)
            {
                LogIgnored(logger, cloudEvent.Type, cloudEvent.Id);
                continue;
            }

            OfferProposed? offer;
            try
            {
                offer = cloudEvent.Data.ToObjectFromJson<OfferProposed>(AppJson.Options);
            }
            catch (JsonException e)
            {
                // 400 is never retried by Event Grid: a malformed event goes to its dead letters, not round again.
                return Problems.BadRequest($"Event {cloudEvent.Id} has data that is not an offer: {e.Message}");
            }

            if (offer is null || string.IsNullOrEmpty(offer.OfferId))
            {
                return Problems.BadRequest($"Event {cloudEvent.Id} has no offer.");
            }

            // The publisher's trace context came along as the CloudEvent's traceparent: delivery continues that trace.
            var traceParent = cloudEvent.ExtensionAttributes.TryGetValue(Telemetry.TraceParentAttribute, out var tp) ? tp as string : null;
            var traceState = cloudEvent.ExtensionAttributes.TryGetValue(Telemetry.TraceStateAttribute, out var ts) ? ts as string : null;
            if (!await delivery.DeliverAsync(offer, traceParent, traceState, cancellationToken).ConfigureAwait(false))
            {
                LogDuplicate(logger, offer.OfferId);
            }
        }

        return TypedResults.Ok();
    }

    private static IResult ValidateEventGridSchema(byte[] raw)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            var code = doc.RootElement.EnumerateArray().First().GetProperty("data").GetProperty("validationCode").GetString();
            return TypedResults.Ok(new { validationResponse = code });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return Problems.BadRequest("The subscription validation event has no data.validationCode.");
        }
    }

    private static bool KeyMatches(HttpRequest request, EventGridOptions options)
    {
        if (string.IsNullOrEmpty(options.DeliveryKey))
        {
            return true;
        }

        var presented = request.Query["code"].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(options.DeliveryKey));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored event {EventType} {EventId}")]
    private static partial void LogIgnored(ILogger logger, string eventType, string eventId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Offer {OfferId} was delivered again; already stored")]
    private static partial void LogDuplicate(ILogger logger, string offerId);
}
