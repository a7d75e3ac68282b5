using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.RegularExpressions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document, built once from the functions themselves: every <c>[HttpTrigger]</c> route and method
/// (CORS preflights aside), with the request and response schemas their attributes name, exported from the same
/// JSON options the app writes with.
/// </summary>
public static partial class OpenApiDocument
{
    /// <summary>host.json's <c>extensions.http.routePrefix</c>; a test keeps the two in step.</summary>
    public const string RoutePrefix = "api";

    // The app's conventions (camelCase, enums as strings), with the reflection resolver the schema exporter needs.
    private static readonly JsonSerializerOptions SchemaOptions = new(AppJson.Options) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    private static readonly Lazy<string> Json = new(() => Build(typeof(CartCallApp).Assembly).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    public static string Text => Json.Value;

    /// <summary>Every HTTP-triggered function of <paramref name="assembly"/>: its name, method, route and attributes.</summary>
    public static IEnumerable<(string Function, string Method, string Path, MethodInfo Entry)> Operations(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                var function = method.GetCustomAttribute<FunctionAttribute>();
                var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(t => t is not null);
                if (function is null || trigger is null)
                {
                    continue;
                }

                var path = $"/{RoutePrefix}/{trigger.Route ?? function.Name}";
                foreach (var verb in trigger.Methods ?? ["get", "post", "put", "delete", "patch"])
                {
                    yield return (function.Name, verb.ToLowerInvariant(), path, method);
                }
            }
        }
    }

    public static JsonObject Build(Assembly assembly)
    {
        var schemas = new JsonObject();
        var paths = new JsonObject();
        foreach (var (function, verb, path, entry) in Operations(assembly).Where(o => o.Method != "options").OrderBy(o => o.Path, StringComparer.Ordinal))
        {
            var item = paths[path] as JsonObject ?? new JsonObject();
            paths[path] = item;
            item[verb] = Operation(function, verb, path, entry, schemas, assembly);
        }

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "CartCall",
                ["version"] = "v1",
                ["description"] = "Cart activity in; scored, economically justified offers of a voice call out. " +
                    "Storefront webhooks are signed: CartCall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">. " +
                    "Browser-facing operations also answer CORS preflights (OPTIONS) for the merchant's allowed origins.",
            },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["schemas"] = schemas,
                ["securitySchemes"] = new JsonObject
                {
                    ["adminKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = Hosting.Middleware.AdminKeyMiddleware.Header },
                    ["publishableKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = Merchants.PublishableKeys.Header },
                },
            },
        };
    }

    private static JsonObject Operation(string function, string verb, string path, MethodInfo entry, JsonObject schemas, Assembly assembly)
    {
        var verbs = Operations(assembly).Count(o => o.Function == function && o.Method != "options");
        var operation = new JsonObject
        {
            ["operationId"] = verbs > 1 ? function + char.ToUpperInvariant(verb[0]) + verb[1..] : function,
            ["summary"] = function,
        };
        if (entry.GetCustomAttribute<ApiTagAttribute>() is { } tag)
        {
            operation["tags"] = new JsonArray(tag.Tag);
        }

        var parameters = new JsonArray();
        foreach (Match m in RouteParameter().Matches(path))
        {
            parameters.Add(new JsonObject { ["name"] = m.Groups[1].Value, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" } });
        }

        if (parameters.Count > 0)
        {
            operation["parameters"] = parameters;
        }

        if (entry.GetCustomAttribute<RequestBodyAttribute>() is { } body)
        {
            operation["requestBody"] = new JsonObject
            {
                ["required"] = true,
                ["content"] = new JsonObject { [body.ContentType] = new JsonObject { ["schema"] = Reference(body.Type, schemas) } },
            };
        }

        var responses = new JsonObject();
        foreach (var response in entry.GetCustomAttributes<ResponseAttribute>())
        {
            var answer = new JsonObject { ["description"] = Describe(response.Status) };
            if (response.Type is not null || response.ContentType != "application/json")
            {
                answer["content"] = new JsonObject
                {
                    [response.ContentType] = new JsonObject { ["schema"] = response.Type is null ? new JsonObject { ["type"] = "string" } : Reference(response.Type, schemas) },
                };
            }

            responses[Status(response.Status)] = answer;
        }

        if (entry.GetCustomAttribute<ProblemsAttribute>() is { } problems)
        {
            foreach (var status in problems.Statuses)
            {
                responses[Status(status)] = new JsonObject
                {
                    ["description"] = Describe(status),
                    ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = Reference(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), schemas) } },
                };
            }
        }

        if (responses.Count == 0)
        {
            responses["200"] = new JsonObject { ["description"] = "OK" };
        }

        operation["responses"] = responses;
        var security = new JsonArray();
        if (entry.GetCustomAttribute<AdminApiAttribute>() is not null)
        {
            security.Add(new JsonObject { ["adminKey"] = new JsonArray() });
        }

        if (entry.GetCustomAttribute<StorefrontApiAttribute>() is { RequirePublishableKey: true })
        {
            security.Add(new JsonObject { ["publishableKey"] = new JsonArray() });
        }

        if (security.Count > 0)
        {
            operation["security"] = security;
        }

        return operation;
    }

    private static JsonNode Reference(Type type, JsonObject schemas)
    {
        if (type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type))
        {
            return new JsonObject { ["type"] = "array", ["items"] = Reference(element, schemas) };
        }

        var name = type.Name;
        if (!schemas.ContainsKey(name))
        {
            schemas[name] = SchemaOptions.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
        }

        return new JsonObject { ["$ref"] = "#/components/schemas/" + name };
    }

    private static string Status(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Describe(int status) => status switch
    {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        304 => "Not modified",
        400 => "The request is not valid; the problem lists what is wrong.",
        401 => "Missing or wrong credentials (signature, key).",
        403 => "The origin is not allowed.",
        404 => "Not found.",
        409 => "Conflicts with the current state.",
        413 => "The body is too large.",
        415 => "The body must be JSON.",
        429 => "Too many requests; see Retry-After.",
        503 => "A dependency is unavailable; retry later.",
        _ => "See the body.",
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}

/// <summary><c>GET /api/openapi.json</c>: the OpenAPI document.</summary>
public sealed class GetOpenApiDocument
{
    [Function(nameof(GetOpenApiDocument))]
    [ApiTag("Operations")]
    [Response(200)]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        Results.Text(OpenApiDocument.Text, "application/json; charset=utf-8");
}

public static class OpenApiFeature
{
    /// <summary>Nothing to register: the document is built from the assembly on first request.</summary>
    public static IServiceCollection AddCartCallOpenApi(this IServiceCollection services) => services;
}
