using CartCall.Functions.Features.OpenApi;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// <c>OPTIONS|POST /api/offers/deliveries</c>: the Event Grid webhook subscriber for <c>CartCall.OfferProposed</c>.
/// Answers the CloudEvents validation handshake (and the Event Grid schema one), then stores each offer once, tells the
/// notifiers (<see cref="OfferDeliveryService"/>) and starts the merchant's <c>offer.proposed</c> hooks
/// (<see cref="OfferProposedHooks"/>). Event Grid delivers at least once: a repeat is acknowledged, stores nothing and
/// starts no second run of the hooks. Every delivery must carry the delivery key (<c>?code=</c>). A delivery that is
/// not a well-formed batch of well-formed offers is answered 400, which Event Grid never retries but dead-letters, and
/// nothing of it is stored.
/// </summary>
public sealed partial class DeliverOffer(
    IOptions<EventGridOptions> options, OfferDeliveryService delivery, OfferProposedHooks hooks, IMerchantStore merchants, ILoggerFactory loggers)
{
    public const int MaxBodyBytes = 1024 * 1024;

    [Function(nameof(DeliverOffer))]
    [ApiTag("Offers")]
    [Problems(400, 401, 413)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/deliveries")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!KeyMatches(request, options.Value))
        {
            return Problems.Unauthorized("The delivery key (code query parameter) is missing or wrong.");
        }

        return HttpMethods.IsOptions(request.Method) ? Handshake(request) : await DeliverAsync(request, durable, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CloudEvents abuse-protection handshake: Event Grid asks before it delivers to this address.</summary>
    private static IResult Handshake(HttpRequest request)
    {
        var origin = request.Headers["WebHook-Request-Origin"].ToString();
        if (string.IsNullOrEmpty(origin))
        {
            return Problems.BadRequest("A CloudEvents validation request carries WebHook-Request-Origin.");
        }

        // It is echoed back as a header, so it must be a host name (Event Grid sends eventgrid.azure.net).
        if (Uri.CheckHostName(origin) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6) || !Ascii.IsValid(origin))
        {
            return Problems.BadRequest("WebHook-Request-Origin must be a host name, such as eventgrid.azure.net.");
        }

        var headers = request.HttpContext.Response.Headers;
        headers["WebHook-Allowed-Origin"] = origin;
        headers["WebHook-Allowed-Rate"] = "*";
        headers.Allow = "POST, OPTIONS";
        return TypedResults.Ok();
    }

    private async Task<IResult> DeliverAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var (raw, tooLarge) = await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (request.Headers["aeg-event-type"] == "SubscriptionValidation")
        {
            return ValidateEventGridSchema(raw!);
        }

        var (events, malformed) = CloudEventBatch.Parse(raw!);
        if (malformed is not null)
        {
            return Problems.BadRequest("The body is not a CloudEvents batch.", [malformed]);
        }

        // Every offer is checked before any is stored, so a bad delivery stores nothing.
        var logger = loggers.CreateLogger(typeof(DeliverOffer));
        var offers = new List<(OfferProposed Offer, string? TraceParent, string? TraceState)>();
        foreach (var cloudEvent in events!)
        {
            if (cloudEvent.Type != OfferProposed.EventType)
            {
                LogIgnored(logger, cloudEvent.Type, cloudEvent.Id);
                continue;
            }

            var (offer, problems) = ReadOffer(cloudEvent);
            var merchant = offer is null ? null : await merchants.GetAsync(offer.MerchantId, cancellationToken).ConfigureAwait(false);
            if (offer is not null && merchant is null)
            {
                problems = [$"merchantId '{offer.MerchantId}' is not a merchant of this CartCall."];
            }

            if (problems.Count > 0)
            {
                LogRefused(logger, cloudEvent.Id, string.Join(" ", problems));
                return Problems.BadRequest($"Event {cloudEvent.Id} is not a valid offer; nothing was stored.", problems);
            }

            // The publisher's trace context came along as the CloudEvent's traceparent: delivery continues that trace.
            var traceParent = cloudEvent.ExtensionAttributes.TryGetValue(Telemetry.TraceParentAttribute, out var tp) ? tp as string : null;
            var traceState = cloudEvent.ExtensionAttributes.TryGetValue(Telemetry.TraceStateAttribute, out var ts) ? ts as string : null;
            // The price is the merchant's as it stands now, whatever the event said: the one the accept will hold.
            offers.Add((offer! with { Price = merchant!.ShopperPrice }, traceParent, traceState));
        }

        foreach (var (offer, traceParent, traceState) in offers)
        {
            var outcome = await delivery.DeliverAsync(offer, traceParent, traceState, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case OfferStoreOutcome.Duplicate:
                    LogDuplicate(logger, offer.OfferId);
                    break;
                case OfferStoreOutcome.Conflict:
                    // Acknowledged (a retry cannot change it), stored nowhere, and said loudly: an offer id is someone else's.
                    LogConflict(logger, offer.OfferId, offer.MerchantId, offer.SessionId);
                    continue;
            }

            // A repeat too: the delivery that stored the offer may have died before this line. The hooks' instance id
            // is the offer's, so only the first start runs them; a failure here fails the delivery, and Event Grid's
            // retry starts them then.
            await hooks.StartAsync(durable, offer, cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Ok();
    }

    /// <summary>The offer a CloudEvent carries, checked against the event's own id, source and subject.</summary>
    private static (OfferProposed? Offer, IReadOnlyList<string> Problems) ReadOffer(CloudEvent cloudEvent)
    {
        if (cloudEvent.Data is null)
        {
            return (null, ["the event has no data."]);
        }

        OfferProposed? offer;
        try
        {
            offer = cloudEvent.Data.ToObjectFromJson<OfferProposed>(AppJson.Options);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            var where = e is JsonException { Path: { } path } ? $" at {path}" : "";
            return (null, [$"the data is not an offer{where}."]);
        }

        var problems = OfferProposedRules.Check(offer, cloudEvent.Id, cloudEvent.Source, cloudEvent.Subject);
        return (problems.Count > 0 ? null : offer, problems);
    }

    private static IResult ValidateEventGridSchema(byte[] raw)
    {
        try
        {
            using var doc = JsonDocument.Parse(raw);
            var code = doc.RootElement.EnumerateArray().First().GetProperty("data").GetProperty("validationCode").GetString();
            if (!string.IsNullOrEmpty(code))
            {
                return TypedResults.Ok(new { validationResponse = code });
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            // Answered below.
        }

        return Problems.BadRequest("The subscription validation event has no data.validationCode.");
    }

    private static bool KeyMatches(HttpRequest request, EventGridOptions options)
    {
        // A missing key configuration refuses everything (the options validation keeps it from happening).
        if (string.IsNullOrEmpty(options.DeliveryKey))
        {
            return false;
        }

        var presented = request.Query["code"];
        return presented.Count == 1
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented.ToString()), Encoding.UTF8.GetBytes(options.DeliveryKey));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored event {EventType} {EventId}")]
    private static partial void LogIgnored(ILogger logger, string eventType, string eventId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Offer {OfferId} was delivered again; already stored")]
    private static partial void LogDuplicate(ILogger logger, string offerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused delivery of event {EventId}: {Problems}")]
    private static partial void LogRefused(ILogger logger, string eventId, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offer {OfferId} for {MerchantId}/{SessionId} was not stored: its id belongs to another merchant's or session's offer")]
    private static partial void LogConflict(ILogger logger, string offerId, string merchantId, string sessionId);
}

/// <summary>
/// Reads a CloudEvents JSON batch (or a single structured event) as Event Grid delivers it. Every attribute is
/// checked for its JSON type before Microsoft's parser sees it, since that parser throws whatever it meets on a
/// number where a string belongs; and whatever it throws still counts as a malformed delivery, never as a failure.
/// </summary>
public static class CloudEventBatch
{
    private static readonly string[] RequiredStrings = ["id", "source", "type", "specversion"];
    private static readonly string[] OptionalStrings = ["subject", "datacontenttype", "dataschema", "time", "data_base64"];

    /// <summary>The events, or what is wrong with the batch (the first problem found).</summary>
    public static (CloudEvent[]? Events, string? Problem) Parse(byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        try
        {
            using var doc = JsonDocument.Parse(raw);
            var root = doc.RootElement;
            var items = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray().ToList(),
                JsonValueKind.Object => [root],
                _ => null,
            };
            if (items is null)
            {
                return (null, "the body must be a JSON array of CloudEvents (or one CloudEvent).");
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (Problem(items[i]) is { } problem)
                {
                    return (null, string.Create(CultureInfo.InvariantCulture, $"event {i}: {problem}"));
                }
            }
        }
        catch (JsonException)
        {
            return (null, "the body is not JSON.");
        }

        try
        {
            return (CloudEvent.ParseMany(BinaryData.FromBytes(raw), skipValidation: false), null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything the parser throws on is input it could not read: a malformed delivery (400, dead-lettered).
            return (null, "the events could not be read as CloudEvents: " + e.GetType().Name + ".");
        }
    }

    private static string? Problem(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            return "a CloudEvent must be a JSON object.";
        }

        foreach (var name in RequiredStrings)
        {
            if (!e.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
            {
                return $"'{name}' is required and must be a string.";
            }
        }

        if (e.GetProperty("specversion").GetString() != "1.0")
        {
            return "'specversion' must be \"1.0\".";
        }

        foreach (var name in OptionalStrings)
        {
            if (e.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            {
                return $"'{name}' must be a string.";
            }
        }

        if (e.TryGetProperty("time", out var time) && time.ValueKind == JsonValueKind.String
            && !DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return "'time' must be an RFC 3339 time.";
        }

        if (e.TryGetProperty("data_base64", out var data64) && data64.ValueKind == JsonValueKind.String
            && !Convert.TryFromBase64String(data64.GetString()!, new byte[data64.GetString()!.Length], out _))
        {
            return "'data_base64' must be base64.";
        }

        if (e.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.Null && e.TryGetProperty("data_base64", out var both) && both.ValueKind != JsonValueKind.Null)
        {
            return "an event carries 'data' or 'data_base64', not both.";
        }

        // Extension attributes are strings, numbers or booleans (CloudEvents 1.0 type system), never objects or arrays.
        foreach (var property in e.EnumerateObject())
        {
            if (property.Name != "data" && property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return $"'{property.Name}' must be a string, number or boolean.";
            }
        }

        return null;
    }
}
