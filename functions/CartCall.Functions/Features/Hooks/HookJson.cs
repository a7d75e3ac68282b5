using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCall.Functions.Features.Hooks;

/// <summary>The hooks' JSON convention (the product's: camelCase, enums as snake_case strings), kept here so the
/// feature does not depend on the hosting layer.</summary>
internal static class HookJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
