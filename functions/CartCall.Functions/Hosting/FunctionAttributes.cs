using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Azure.Functions.Worker.Http;

namespace CartCall.Functions.Hosting;

/// <summary>
/// An admin API function: every request must carry the operator's key in <c>x-cartcall-admin-key</c>
/// (<see cref="Middleware.AdminKeyMiddleware"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AdminApiAttribute : Attribute;

/// <summary>
/// A function storefront pages call from the browser: per-merchant CORS with preflights answered
/// (<see cref="Middleware.MerchantCorsMiddleware"/>) and, when <see cref="RequirePublishableKey"/>, the merchant's
/// publishable key.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StorefrontApiAttribute : Attribute
{
    public bool RequirePublishableKey { get; init; }
}

/// <summary>Reads the attributes on a function's method once per function, for middleware that acts on them.</summary>
public static class FunctionAttributes
{
    private static readonly ConcurrentDictionary<string, MethodInfo?> Methods = new(StringComparer.Ordinal);

    public static T? Get<T>(FunctionContext context)
        where T : Attribute
    {
        ArgumentNullException.ThrowIfNull(context);
        return Method(context)?.GetCustomAttribute<T>();
    }

    /// <summary>Whether the function is HTTP-triggered (other triggers must see their exceptions, so the host retries).</summary>
    public static bool IsHttp(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.FunctionDefinition.InputBindings.Values.Any(b => b.Type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The method behind an entry point such as <c>CartCall.Functions.Features.Health.GetHealth.RunAsync</c>.</summary>
    public static MethodInfo? Method(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Methods.GetOrAdd(context.FunctionDefinition.EntryPoint, static entryPoint =>
        {
            var dot = entryPoint.LastIndexOf('.');
            var type = typeof(FunctionAttributes).Assembly.GetType(entryPoint[..dot]);
            return type?.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                .FirstOrDefault(m => m.Name == entryPoint[(dot + 1)..] && m.GetCustomAttribute<FunctionAttribute>() is not null);
        });
    }

    /// <summary>Ends the invocation with <paramref name="result"/> as the HTTP answer, without running the function.</summary>
    public static void Answer(FunctionContext context, IResult result)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.GetInvocationResult().Value = result;
    }

    internal static HttpContext Http(FunctionContext context) =>
        context.GetHttpContext() ?? throw new InvalidOperationException($"{context.FunctionDefinition.Name} has no HttpContext: is it HTTP-triggered?");
}
