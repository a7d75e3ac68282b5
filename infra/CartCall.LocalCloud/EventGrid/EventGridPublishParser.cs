using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.EventGrid;

internal enum EventInputSchema
{
    CloudEvents,
    EventGrid,
}

/// <summary>An accepted, validated event as published.</summary>
internal sealed record InboundEvent(string Id, string Type, EventInputSchema Schema, JsonObject Body);

/// <summary>Why a publish request was refused, in the real service's terms.</summary>
internal sealed record PublishError(int Status, string Code, string Message);

/// <summary>Reads a publish body in CloudEvents 1.0 or Event Grid schema and checks the required fields.</summary>
internal static class EventGridPublishParser
{
    public const string CloudEventsBatchMediaType = "application/cloudevents-batch+json";
    public const string CloudEventMediaType = "application/cloudevents+json";
    public const string JsonMediaType = "application/json";

    public static (IReadOnlyList<InboundEvent>? Events, PublishError? Error) Parse(string? contentType, byte[] body)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return Fail(415, "UnsupportedMediaType",
                $"Content-Type must be {CloudEventsBatchMediaType}, {CloudEventMediaType} or {JsonMediaType}.");
        }

        var mediaType = media.MediaType?.ToLowerInvariant();
        if (mediaType is not (CloudEventsBatchMediaType or CloudEventMediaType or JsonMediaType))
        {
            return Fail(415, "UnsupportedMediaType",
                $"Content-Type '{media.MediaType}' is not supported; use {CloudEventsBatchMediaType}, {CloudEventMediaType} or {JsonMediaType}.");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return Fail(400, "BadRequest", $"The request body is not valid JSON: {ex.Message}");
        }

        if (mediaType == CloudEventMediaType)
        {
            if (root is not JsonObject single)
            {
                return Fail(400, "BadRequest", $"A {CloudEventMediaType} body must be one JSON object.");
            }

            var one = ReadCloudEvent(single, index: null);
            return one.Error is null ? ([one.Event!], null) : (null, one.Error);
        }

        if (root is not JsonArray array)
        {
            return Fail(400, "BadRequest", "The request body must be a JSON array of events.");
        }

        // application/json carries Event Grid schema, unless every element declares a CloudEvents specversion
        // (a topic whose input schema is CloudEvents accepts plain JSON too).
        var cloudEvents = mediaType == CloudEventsBatchMediaType
            || (array.Count > 0 && array.All(e => e is JsonObject o && o.ContainsKey("specversion")));
        var events = new List<InboundEvent>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject item)
            {
                return Fail(400, "BadRequest", $"Event at index {i} is not a JSON object.");
            }

            var (parsed, error) = cloudEvents ? ReadCloudEvent(item, i) : ReadEventGridEvent(item, i);
            if (error is not null)
            {
                return (null, error);
            }

            events.Add(parsed!);
        }

        return (events, null);
    }

    private static (InboundEvent? Event, PublishError? Error) ReadCloudEvent(JsonObject item, int? index)
    {
        var where = index is null ? "The CloudEvent" : $"CloudEvent at index {index}";
        foreach (var attribute in (string[])["id", "source", "type", "specversion"])
        {
            if (!TryGetString(item, attribute, out var value) || value.Length == 0)
            {
                return (null, new PublishError(400, "BadRequest",
                    $"{where} is missing required CloudEvents attribute '{attribute}' (a non-empty string)."));
            }
        }

        TryGetString(item, "specversion", out var specVersion);
        if (specVersion != "1.0")
        {
            return (null, new PublishError(400, "BadRequest", $"{where} has specversion '{specVersion}'; only '1.0' is supported."));
        }

        if (item.ContainsKey("time") && (!TryGetString(item, "time", out var time) || !IsTimestamp(time)))
        {
            return (null, new PublishError(400, "BadRequest", $"{where} has a 'time' that is not an RFC 3339 timestamp."));
        }

        if (item.ContainsKey("data") && item.ContainsKey("data_base64"))
        {
            return (null, new PublishError(400, "BadRequest", $"{where} has both 'data' and 'data_base64'; use one."));
        }

        TryGetString(item, "id", out var id);
        TryGetString(item, "type", out var type);
        return (new InboundEvent(id, type, EventInputSchema.CloudEvents, item.DeepClone().AsObject()), null);
    }

    private static (InboundEvent? Event, PublishError? Error) ReadEventGridEvent(JsonObject item, int index)
    {
        var where = $"Event at index {index}";
        foreach (var field in (string[])["id", "eventType", "eventTime", "dataVersion"])
        {
            if (!TryGetString(item, field, out var value) || value.Length == 0)
            {
                return (null, new PublishError(400, "BadRequest",
                    $"{where} is missing required Event Grid schema field '{field}' (a non-empty string)."));
            }
        }

        if (!TryGetString(item, "subject", out _))
        {
            return (null, new PublishError(400, "BadRequest", $"{where} is missing required Event Grid schema field 'subject' (a string)."));
        }

        TryGetString(item, "eventTime", out var eventTime);
        if (!IsTimestamp(eventTime))
        {
            return (null, new PublishError(400, "BadRequest", $"{where} has an 'eventTime' that is not an ISO 8601 timestamp."));
        }

        if (item.ContainsKey("metadataVersion") && (!TryGetString(item, "metadataVersion", out var metadata) || metadata != "1"))
        {
            return (null, new PublishError(400, "BadRequest", $"{where} has a 'metadataVersion' other than '1'."));
        }

        TryGetString(item, "id", out var id);
        TryGetString(item, "eventType", out var type);
        return (new InboundEvent(id, type, EventInputSchema.EventGrid, item.DeepClone().AsObject()), null);
    }

    private static bool TryGetString(JsonObject item, string name, out string value)
    {
        if (item.TryGetPropertyValue(name, out var node) && node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            value = s;
            return true;
        }

        value = "";
        return false;
    }

    private static bool IsTimestamp(string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    private static (IReadOnlyList<InboundEvent>? Events, PublishError? Error) Fail(int status, string code, string message) =>
        (null, new PublishError(status, code, message));
}
