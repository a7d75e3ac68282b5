using System.Text.Json;
using System.Text.Json.Serialization;

namespace CartCall.Functions.Hosting;

/// <summary>
/// The Azure Functions custom-handler invocation payload: the host POSTs <c>{"Data":{...},"Metadata":{...}}</c>
/// to <c>/{FunctionName}</c> for every non-HTTP trigger.
/// </summary>
public sealed class FunctionInvocationRequest
{
    public Dictionary<string, JsonElement> Data { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<string, JsonElement> Metadata { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A queue item as text. The host passes a JSON message either as a string or already parsed as an object,
    /// depending on content; both are accepted.
    /// </summary>
    public bool TryGetText(string bindingName, out string text)
    {
        text = string.Empty;
        if (!Data.TryGetValue(bindingName, out var item))
        {
            return false;
        }

        text = item.ValueKind switch
        {
            JsonValueKind.String => item.GetString() ?? string.Empty,
            JsonValueKind.Object or JsonValueKind.Array => item.GetRawText(),
            _ => string.Empty,
        };
        return text.Length > 0;
    }

    /// <summary>How many times the queue has handed this message out, 1 on the first try.</summary>
    public int DequeueCount
    {
        get
        {
            if (!Metadata.TryGetValue("DequeueCount", out var v))
            {
                return 1;
            }

            return v.ValueKind switch
            {
                JsonValueKind.Number when v.TryGetInt32(out var n) => n,
                JsonValueKind.String when int.TryParse(v.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                _ => 1,
            };
        }
    }
}

/// <summary>The custom-handler response: output bindings, log lines for the host, and an optional return value.</summary>
public sealed class FunctionInvocationResponse
{
    public Dictionary<string, object?> Outputs { get; init; } = [];

    public List<string> Logs { get; init; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public object? ReturnValue { get; init; }
}
