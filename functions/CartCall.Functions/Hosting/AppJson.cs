using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCall.Functions.Hosting;

/// <summary>One JSON convention for the wire and for stored documents: camelCase, enums as snake_case strings.</summary>
public static class AppJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.NumberHandling = JsonNumberHandling.Strict;
        return options;
    }
}
