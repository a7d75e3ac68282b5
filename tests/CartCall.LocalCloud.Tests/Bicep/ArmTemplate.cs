using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.Tests.Bicep;

/// <summary>A resource in a compiled ARM template, with the (nested) template that declares it.</summary>
internal sealed record ArmResource(string SymbolicName, JsonObject Body, JsonObject Template, string TemplatePath)
{
    public string Type => (string?)Body["type"] ?? "";

    public bool IsExisting => Body["existing"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public JsonNode? Properties => Body["properties"];
}

/// <summary>Walks ARM JSON as Bicep emits it: resources as an array or (languageVersion 2.0) an object, modules
/// as nested Microsoft.Resources/deployments with an inline template.</summary>
internal static class ArmTemplate
{
    public static IEnumerable<(string Path, JsonObject Template)> Templates(JsonObject root, string path = "main")
    {
        yield return (path, root);
        foreach (var resource in Resources(root, path))
        {
            if (resource.Type == "Microsoft.Resources/deployments"
                && resource.Body["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Templates(nested, $"{path}/{resource.SymbolicName}"))
                {
                    yield return inner;
                }
            }
        }
    }

    public static IEnumerable<ArmResource> AllResources(JsonObject root) =>
        Templates(root).SelectMany(t => Resources(t.Template, t.Path));

    public static JsonObject Module(JsonObject root, string symbolicName) =>
        Resources(root, "main")
            .Single(r => r.SymbolicName == symbolicName && r.Type == "Microsoft.Resources/deployments")
            .Body;

    public static JsonObject ModuleTemplate(JsonObject root, string symbolicName) =>
        (JsonObject)Module(root, symbolicName)["properties"]!["template"]!;

    /// <summary>The outputs of one template, by name.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Outputs(JsonObject template) =>
        template["outputs"] is JsonObject outputs
            ? outputs.ToDictionary(o => o.Key, o => (JsonObject)o.Value!)
            : new Dictionary<string, JsonObject>();

    private static IEnumerable<ArmResource> Resources(JsonObject template, string path)
    {
        switch (template["resources"])
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonObject body)
                    {
                        yield return new ArmResource((string?)body["name"] ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture), body, template, path);
                    }
                }

                break;
            case JsonObject map:
                foreach (var (name, node) in map)
                {
                    if (node is JsonObject body)
                    {
                        yield return new ArmResource(name, body, template, path);
                    }
                }

                break;
        }
    }
}
