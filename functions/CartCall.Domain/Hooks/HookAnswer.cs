using System.Text.Json;

namespace CartCall.Domain.Hooks;

public enum HookAction
{
    Continue,
    Veto,
    Route,
    Enrich,
}

/// <summary>
/// What a hook said. Any answer may carry <see cref="Data"/> (merged into the enrichment); a veto carries the
/// sentence the shopper sees; a routing answer names the agent.
/// </summary>
public sealed record HookAnswer(HookAction Action, string? Reason, string? AgentId, IReadOnlyDictionary<string, string> Data)
{
    public static readonly HookAnswer Continue = new(HookAction.Continue, null, null, new Dictionary<string, string>());

    public static HookAnswer Veto(string reason) => new(HookAction.Veto, reason, null, new Dictionary<string, string>());
}

/// <summary>
/// Reads a hook's answer: <c>{"action":"continue|veto|route|enrich", "reason":…, "agentId":…, "data":{…}}</c>.
/// Empty output means continue (a hook that only listens need not answer). Anything else that is not a valid
/// answer comes back as a problem, never as an exception: it is that hook's failure, not the caller's.
/// </summary>
public static class HookAnswerParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    public static (HookAnswer? Answer, string? Problem) Parse(ReadOnlySpan<byte> output)
    {
        var trimmed = TrimWhitespace(output);
        if (trimmed.IsEmpty)
        {
            return (HookAnswer.Continue, null);
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(trimmed, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != trimmed.Length)
            {
                document.Dispose();
                return (null, "the output has more after its JSON object.");
            }
        }
        catch (JsonException e)
        {
            return (null, $"the output is not JSON ({Shorten(e.Message)}).");
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    private static (HookAnswer?, string?) Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "the output must be a JSON object with an \"action\".");
        }

        if (!root.TryGetProperty("action", out var actionElement) || actionElement.ValueKind != JsonValueKind.String)
        {
            return (null, "the answer has no \"action\" string (continue, veto, route or enrich).");
        }

        var action = actionElement.GetString() switch
        {
            "continue" => HookAction.Continue,
            "veto" => HookAction.Veto,
            "route" => HookAction.Route,
            "enrich" => HookAction.Enrich,
            _ => (HookAction?)null,
        };
        if (action is null)
        {
            return (null, $"unknown action '{Shorten(actionElement.GetString()!)}'; use continue, veto, route or enrich.");
        }

        var (data, dataProblem) = ReadData(root);
        if (dataProblem is not null)
        {
            return (null, dataProblem);
        }

        var reason = OptionalString(root, "reason");
        var agentId = OptionalString(root, "agentId");
        switch (action)
        {
            case HookAction.Veto when string.IsNullOrWhiteSpace(reason):
                return (null, "a veto needs a \"reason\" to show the shopper.");
            case HookAction.Veto when reason!.Length > HookBounds.MaxReasonLength:
                return (null, $"a veto's reason is longer than {HookBounds.MaxReasonLength} characters.");
            case HookAction.Route when string.IsNullOrWhiteSpace(agentId):
                return (null, "a route answer needs an \"agentId\".");
            case HookAction.Route when agentId!.Length > HookBounds.MaxAgentIdLength:
                return (null, $"agentId is longer than {HookBounds.MaxAgentIdLength} characters.");
            case HookAction.Enrich when data.Count == 0:
                return (null, "an enrich answer needs a non-empty \"data\" object.");
        }

        return (new HookAnswer(action.Value, action == HookAction.Veto ? reason!.Trim() : null,
            action == HookAction.Route ? agentId!.Trim() : null, data), null);
    }

    private static (Dictionary<string, string>, string?) ReadData(JsonElement root)
    {
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("data", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return (data, null);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return (data, "\"data\" must be an object of names to text, numbers or booleans.");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (data.Count == HookBounds.MaxDataEntries)
            {
                return (data, $"\"data\" has more than {HookBounds.MaxDataEntries} entries.");
            }

            if (property.Name.Length is 0 || property.Name.Length > HookBounds.MaxDataKeyLength)
            {
                return (data, $"\"data\" names must be 1–{HookBounds.MaxDataKeyLength} characters.");
            }

            string? value = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
            if (value is null)
            {
                return (data, $"\"data.{Shorten(property.Name)}\" must be text, a number or a boolean.");
            }

            if (value.Length > HookBounds.MaxDataValueLength)
            {
                return (data, $"\"data.{Shorten(property.Name)}\" is longer than {HookBounds.MaxDataValueLength} characters.");
            }

            data[property.Name] = value;
        }

        return (data, null);
    }

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> s)
    {
        // A UTF-8 byte order mark is tolerated: some tools write one.
        if (s.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            s = s[3..];
        }

        return s.Trim((ReadOnlySpan<byte>)[(byte)' ', (byte)'\t', (byte)'\r', (byte)'\n']);
    }

    private static string Shorten(string s) =>
        s.Length <= 80 ? s : s[..80] + "…";
}
