using System.Text;
using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.Tests.Bicep;

/// <summary>
/// Just enough of the ARM template expression language to read objects Bicep compiles to <c>union(...)</c> and
/// <c>createObject(...)</c> calls, such as the app settings: it splits calls into their arguments and reads string
/// literals. Anything else (reference(), format() ...) is kept as expression text.
/// </summary>
internal static class ArmExpression
{
    /// <summary>The expression inside <c>[...]</c>, or null when <paramref name="value"/> is a literal.</summary>
    public static string? Unwrap(string? value) =>
        value is { Length: >= 2 } && value[0] == '[' && value[^1] == ']' && !value.StartsWith("[[", StringComparison.Ordinal)
            ? value[1..^1].Trim()
            : null;

    /// <summary>Reads <c>name(arg, arg, ...)</c> when the whole expression is that one call.</summary>
    public static bool TryCall(string expression, string name, out IReadOnlyList<string> arguments)
    {
        arguments = [];
        var text = expression.Trim();
        if (!text.StartsWith(name + "(", StringComparison.Ordinal) || CloseOf(text, name.Length) != text.Length - 1)
        {
            return false;
        }

        arguments = SplitArguments(text[(name.Length + 1)..^1]);
        return true;
    }

    /// <summary>Reads <c>'text'</c> (with <c>''</c> for a quote) when the whole expression is that literal.</summary>
    public static bool TryString(string expression, out string value)
    {
        value = "";
        var text = expression.Trim();
        if (text.Length < 2 || text[0] != '\'' || EndOfString(text, 0) != text.Length - 1)
        {
            return false;
        }

        value = text[1..^1].Replace("''", "'", StringComparison.Ordinal);
        return true;
    }

    /// <summary>
    /// The properties of an object-valued template value: a JSON object, or an expression made of <c>union</c>,
    /// <c>createObject</c> and <c>parameters('x')</c> (resolved by <paramref name="parameter"/>). Each value is returned
    /// as written: a JSON node, or the expression text with the scope it must be read in.
    /// </summary>
    public static IReadOnlyDictionary<string, TemplateValue> ReadObject(JsonNode? node, TemplateScope scope)
    {
        var result = new Dictionary<string, TemplateValue>(StringComparer.OrdinalIgnoreCase);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    result[key] = new TemplateValue(value, scope);
                }

                return result;
            case JsonValue v when v.TryGetValue<string>(out var text) && Unwrap(text) is { } expression:
                return ReadObjectExpression(expression, scope);
            default:
                throw new InvalidDataException($"Not an object value: {node?.ToJsonString()}");
        }
    }

    private static Dictionary<string, TemplateValue> ReadObjectExpression(string expression, TemplateScope scope)
    {
        var result = new Dictionary<string, TemplateValue>(StringComparer.OrdinalIgnoreCase);
        if (TryCall(expression, "union", out var parts))
        {
            foreach (var part in parts)
            {
                foreach (var (key, value) in ReadObjectExpression(part, scope))
                {
                    result[key] = value;
                }
            }

            return result;
        }

        if (TryCall(expression, "createObject", out var pairs))
        {
            for (var i = 0; i + 1 < pairs.Count; i += 2)
            {
                if (!TryString(pairs[i], out var key))
                {
                    throw new InvalidDataException($"createObject key is not a literal: {pairs[i]}");
                }

                result[key] = new TemplateValue(JsonValue.Create("[" + pairs[i + 1] + "]"), scope);
            }

            return result;
        }

        if (TryCall(expression, "parameters", out var name) && name.Count == 1 && TryString(name[0], out var parameterName))
        {
            var (node, outer) = scope.Parameter(parameterName);
            foreach (var (key, value) in ReadObject(node, outer))
            {
                result[key] = value;
            }

            return result;
        }

        throw new InvalidDataException($"Cannot read an object from the expression: {expression}");
    }

    private static List<string> SplitArguments(string inner)
    {
        var arguments = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (c == '\'')
            {
                var end = EndOfString(inner, i);
                current.Append(inner, i, end - i + 1);
                i = end;
                continue;
            }

            if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                arguments.Add(current.ToString().Trim());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim() is { Length: > 0 } last)
        {
            arguments.Add(last);
        }

        return arguments;
    }

    /// <summary>Index of the ')' closing the '(' at <paramref name="open"/>, or -1.</summary>
    private static int CloseOf(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\'':
                    i = EndOfString(text, i);
                    break;
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    /// <summary>Index of the quote that ends the string literal starting at <paramref name="start"/>.</summary>
    private static int EndOfString(string text, int start)
    {
        for (var i = start + 1; i < text.Length; i++)
        {
            if (text[i] != '\'')
            {
                continue;
            }

            if (i + 1 < text.Length && text[i + 1] == '\'')
            {
                i++;
                continue;
            }

            return i;
        }

        throw new InvalidDataException($"Unterminated string in: {text}");
    }
}

/// <summary>Where <c>parameters('x')</c> is read: a template's parameters, given by its caller or by their defaults.</summary>
internal sealed class TemplateScope(Func<string, (JsonNode? Node, TemplateScope Scope)> parameter)
{
    public (JsonNode? Node, TemplateScope Scope) Parameter(string name) => parameter(name);

    /// <summary>The root template: a parameter is its default value.</summary>
    public static TemplateScope Root(JsonObject template)
    {
        TemplateScope? self = null;
        self = new TemplateScope(name => (template["parameters"]?[name]?["defaultValue"], self!));
        return self;
    }

    /// <summary>A module's template: a parameter is the value its caller (<paramref name="module"/>, in <paramref name="caller"/>) passes.</summary>
    public static TemplateScope Module(JsonObject module, TemplateScope caller) =>
        new(name => (module["properties"]?["parameters"]?[name]?["value"], caller));
}

/// <summary>A value as the template writes it, and the scope its <c>parameters()</c> are read in.</summary>
internal sealed record TemplateValue(JsonNode? Node, TemplateScope Scope)
{
    /// <summary>The expression text, or null when the value is a literal.</summary>
    public string? Expression => Node is JsonValue v && v.TryGetValue<string>(out var s) ? ArmExpression.Unwrap(s) : null;

    /// <summary>
    /// The value when it is known before deployment: a literal, or <c>parameters('x')</c> whose value is known
    /// (the caller's literal or the default). Null when it is only known at deployment (reference(), format() ...).
    /// </summary>
    public string? KnownValue()
    {
        if (Expression is not { } expression)
        {
            return Node is JsonValue v && v.TryGetValue<string>(out var literal) ? literal : Node?.ToJsonString();
        }

        if (ArmExpression.TryString(expression, out var text))
        {
            return text;
        }

        if (ArmExpression.TryCall(expression, "parameters", out var args) && args.Count == 1 && ArmExpression.TryString(args[0], out var name))
        {
            var (node, scope) = Scope.Parameter(name);
            return node is null ? null : new TemplateValue(node, scope).KnownValue();
        }

        return null;
    }

    /// <summary>True for an App Service Key Vault reference, <c>@Microsoft.KeyVault(...)</c>, literal or formatted.</summary>
    public bool IsKeyVaultReference =>
        (KnownValue() ?? "").StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal)
        || (Expression is { } e && ArmExpression.TryCall(e, "format", out var args) && args.Count > 0
            && ArmExpression.TryString(args[0], out var pattern) && pattern.StartsWith("@Microsoft.KeyVault(", StringComparison.Ordinal));
}
