using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>Shapes a published event the way the subscription receives it.</summary>
internal static class EventGridPayloads
{
    public static string TopicResourceId(string topicName) =>
        $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/cartcall-local/providers/Microsoft.EventGrid/topics/{topicName}";

    /// <summary>The delivered event, or null when the real service could not deliver it in that schema.</summary>
    public static JsonObject? ForSubscription(InboundEvent inbound, EventDeliverySchema schema, string topicResourceId)
    {
        var body = inbound.Body.DeepClone().AsObject();
        switch (inbound.Schema, schema)
        {
            case (EventInputSchema.CloudEvents, EventDeliverySchema.CloudEvents):
                return body;
            case (EventInputSchema.EventGrid, EventDeliverySchema.EventGrid):
                // The service stamps these on Event Grid schema events it accepts.
                body["topic"] ??= topicResourceId;
                body["metadataVersion"] ??= "1";
                return body;
            case (EventInputSchema.EventGrid, EventDeliverySchema.CloudEvents):
                var cloudEvent = new JsonObject
                {
                    ["specversion"] = "1.0",
                    ["id"] = inbound.Id,
                    ["source"] = body["topic"]?.DeepClone() ?? topicResourceId,
                    ["subject"] = body["subject"]?.DeepClone(),
                    ["type"] = inbound.Type,
                    ["time"] = body["eventTime"]?.DeepClone(),
                };
                if (body.TryGetPropertyValue("data", out var data))
                {
                    cloudEvent["data"] = data?.DeepClone();
                }

                return cloudEvent;
            default:
                return null;
        }
    }
}
