using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.FunctionsHost.Rpc;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>How a function is triggered, as its bindings declare it.</summary>
public enum TriggerKind
{
    Http,
    Queue,
    Timer,
    Orchestration,
    Activity,
}

/// <summary>One binding of a function, as the worker's indexing (and <c>functions.metadata</c>) declares it.</summary>
public sealed record BindingDescriptor(string Name, string Type, string Direction, JsonObject Raw)
{
    public string? Text(string property) => Raw[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public bool Flag(string property) => Raw[property] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public IReadOnlyList<string>? Texts(string property) =>
        Raw[property] is JsonArray a ? a.Select(n => n?.GetValue<string>() ?? "").ToList() : null;
}

/// <summary>
/// A function the worker declared: its id, name and bindings, and the trigger the local host must serve for it.
/// Built from the worker's <c>FunctionMetadataResponse</c>, which carries the same bindings as <c>functions.metadata</c>.
/// </summary>
public sealed class FunctionDescriptor
{
    /// <summary>Binding types the local host knows how to supply or accept, beside the trigger.</summary>
    private static readonly HashSet<string> SupportedNonTriggerBindings = new(StringComparer.OrdinalIgnoreCase) { "http", "durableClient" };

    private static readonly Dictionary<string, TriggerKind> Triggers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["httpTrigger"] = TriggerKind.Http,
        ["queueTrigger"] = TriggerKind.Queue,
        ["timerTrigger"] = TriggerKind.Timer,
        ["orchestrationTrigger"] = TriggerKind.Orchestration,
        ["activityTrigger"] = TriggerKind.Activity,
    };

    private FunctionDescriptor(string id, string name, IReadOnlyList<BindingDescriptor> bindings, BindingDescriptor trigger, TriggerKind kind, RpcFunctionMetadata metadata)
    {
        Id = id;
        Name = name;
        Bindings = bindings;
        Trigger = trigger;
        Kind = kind;
        Metadata = metadata;
    }

    public string Id { get; }

    public string Name { get; }

    public IReadOnlyList<BindingDescriptor> Bindings { get; }

    public BindingDescriptor Trigger { get; }

    public TriggerKind Kind { get; }

    /// <summary>The worker's own description, sent back in the load request as the Functions host does.</summary>
    public RpcFunctionMetadata Metadata { get; }

    /// <summary>The <c>[DurableClient]</c> parameter, when the function has one.</summary>
    public BindingDescriptor? DurableClient => Bindings.FirstOrDefault(b => b.Type.Equals("durableClient", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Reads a function's metadata. Returns the problem instead when a binding is one the local host cannot serve,
    /// so start-up can fail and name every such function.
    /// </summary>
    public static (FunctionDescriptor? Function, string? Problem) From(RpcFunctionMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var bindings = new List<BindingDescriptor>();
        foreach (var raw in metadata.RawBindings)
        {
            if (JsonNode.Parse(raw) is not JsonObject o)
            {
                return (null, $"{metadata.Name}: a binding is not a JSON object: {raw}");
            }

            bindings.Add(new BindingDescriptor(
                o["name"]?.GetValue<string>() ?? "",
                o["type"]?.GetValue<string>() ?? "",
                o["direction"]?.GetValue<string>() ?? "in",
                o));
        }

        var triggers = bindings.Where(b => b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase)).ToList();
        if (triggers.Count != 1)
        {
            return (null, $"{metadata.Name}: expected exactly one trigger binding, found {triggers.Count}.");
        }

        var trigger = triggers[0];
        if (!Triggers.TryGetValue(trigger.Type, out var kind))
        {
            return (null, $"{metadata.Name}: the local host cannot serve a '{trigger.Type}' trigger.");
        }

        var unsupported = bindings.Where(b => b != trigger && !SupportedNonTriggerBindings.Contains(b.Type)).Select(b => $"'{b.Type}' ({b.Name})").ToList();
        if (unsupported.Count > 0)
        {
            return (null, $"{metadata.Name}: the local host cannot serve the binding(s) {string.Join(", ", unsupported)}.");
        }

        var id = metadata.FunctionId.Length > 0 ? metadata.FunctionId : metadata.Name;
        return (new FunctionDescriptor(id, metadata.Name, bindings, trigger, kind, metadata), null);
    }

    public override string ToString() => $"{Name} ({Kind})";

    /// <summary>The bindings as the generated <c>functions.metadata</c> spells them, for comparing the two.</summary>
    public static IReadOnlyList<JsonObject> ReadFunctionsMetadataBindings(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().Select(b => (JsonObject)JsonNode.Parse(b.GetRawText())!).ToList();
}
