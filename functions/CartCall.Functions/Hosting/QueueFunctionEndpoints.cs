using System.Text.Json;

namespace CartCall.Functions.Hosting;

/// <summary>
/// Maps each <see cref="IQueueFunction"/> to <c>POST /{Name}</c>, the route the Functions host invokes a custom
/// handler on. A failure answers 500 so the host leaves the message on the queue to be retried and, after
/// <c>maxDequeueCount</c>, poisoned.
/// </summary>
public static class QueueFunctionEndpoints
{
    /// <summary>The queue trigger's binding name in every function.json.</summary>
    public const string BindingName = "message";

    public static IEndpointRouteBuilder MapQueueFunctions(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var function in app.ServiceProvider.GetServices<IQueueFunction>())
        {
            var name = function.Name;
            app.MapPost("/" + name, (HttpRequest request, IServiceProvider services, CancellationToken ct) => InvokeAsync(name, request, services, ct))
                .AsFunction(name)
                .WithTags("Functions host")
                .ExcludeFromDescription();
        }

        return app;
    }

    private static async Task<IResult> InvokeAsync(string name, HttpRequest request, IServiceProvider services, CancellationToken cancellationToken)
    {
        FunctionInvocationRequest? invocation;
        try
        {
            invocation = await JsonSerializer.DeserializeAsync<FunctionInvocationRequest>(request.Body, AppJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"The invocation is not the custom-handler payload: {e.Message}");
        }

        if (invocation is null || !invocation.TryGetText(BindingName, out var message))
        {
            return Problems.BadRequest($"The invocation has no Data.{BindingName} queue item.");
        }

        var function = services.GetServices<IQueueFunction>().First(f => f.Name == name);
        var outcome = await function.HandleAsync(message, invocation.DequeueCount, cancellationToken).ConfigureAwait(false);
        var response = new FunctionInvocationResponse { Logs = { $"{name}: {outcome} (dequeue count {invocation.DequeueCount})" } };
        return outcome == QueueOutcome.Completed
            ? TypedResults.Json(response, AppJson.Options)
            : TypedResults.Json(response, AppJson.Options, statusCode: StatusCodes.Status500InternalServerError);
    }
}
