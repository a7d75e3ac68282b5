using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.Acs;

/// <summary>JSON helpers for the ACS wire shapes (identifier models, error bodies, CloudEvents).</summary>
internal static class AcsWire
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    /// <summary>A party as the service identifies it: its raw id plus the canonical identifier model.</summary>
    public sealed record Party(string RawId, string Kind, string? PhoneNumber, string? UserId)
    {
        public JsonObject ToModel() => Kind switch
        {
            "phoneNumber" => new JsonObject
            {
                ["kind"] = "phoneNumber",
                ["rawId"] = RawId,
                ["phoneNumber"] = new JsonObject { ["value"] = PhoneNumber, ["isAnonymous"] = false },
            },
            "communicationUser" => new JsonObject
            {
                ["kind"] = "communicationUser",
                ["rawId"] = RawId,
                ["communicationUser"] = new JsonObject { ["id"] = UserId },
            },
            _ => new JsonObject { ["kind"] = "unknown", ["rawId"] = RawId },
        };

        /// <summary>Short label for the page and timelines.</summary>
        public string Label => PhoneNumber ?? UserId ?? RawId;
    }

    /// <summary>Reads a CommunicationIdentifierModel; null when it names nobody.</summary>
    public static Party? ReadIdentifier(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        var phone = o["phoneNumber"]?["value"]?.GetValue<string>();
        if (!string.IsNullOrWhiteSpace(phone)) return new Party("4:" + phone, "phoneNumber", phone, null);
        var user = o["communicationUser"]?["id"]?.GetValue<string>();
        if (!string.IsNullOrWhiteSpace(user)) return new Party(user, "communicationUser", null, user);
        var raw = o["rawId"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (raw.StartsWith("4:", StringComparison.Ordinal)) return new Party(raw, "phoneNumber", raw[2..], null);
        if (raw.StartsWith("8:", StringComparison.Ordinal)) return new Party(raw, "communicationUser", null, raw);
        return new Party(raw, "unknown", null, null);
    }

    /// <summary>
    /// The error body: ACS's CommunicationErrorResponse (<c>error.code/message</c>, which the SDKs read) plus the
    /// RFC 7807 members so the house rule "4xx bodies are problem details" holds too.
    /// </summary>
    public static IResult Error(int status, string code, string message) => Results.Json(
        new JsonObject
        {
            ["type"] = "about:blank",
            ["title"] = code,
            ["status"] = status,
            ["detail"] = message,
            ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
        },
        Json,
        contentType: "application/json",
        statusCode: status);

    public static JsonObject Result(int code, int subCode, string message) =>
        new() { ["code"] = code, ["subCode"] = subCode, ["message"] = message };

    public static JsonObject CloudEvent(string eventId, string callConnectionId, string type, JsonObject data, DateTimeOffset time) => new()
    {
        ["id"] = eventId,
        ["source"] = "calling/callConnections/" + callConnectionId,
        ["type"] = "Microsoft.Communication." + type,
        ["data"] = data,
        ["time"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["specversion"] = "1.0",
        ["datacontenttype"] = "application/json",
        ["subject"] = "calling/callConnections/" + callConnectionId,
    };
}
