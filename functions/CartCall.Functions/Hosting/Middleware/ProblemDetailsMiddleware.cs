using Microsoft.Azure.Functions.Worker.Middleware;

namespace CartCall.Functions.Hosting.Middleware;

/// <summary>
/// The last word on an HTTP function's failure: whatever escaped the function and the middleware inside this one is
/// answered as problem details (a bad request with its own status; anything else a 500 that says nothing internal),
/// and logged. Non-HTTP functions keep their exceptions, so the host retries them.
/// </summary>
public sealed partial class ProblemDetailsMiddleware(ILogger<ProblemDetailsMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!FunctionAttributes.IsHttp(context))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals (a body over its limit, a truncated body) say what is wrong themselves.
            FunctionAttributes.Answer(context, Problems.Status(e.StatusCode, e.Message));
        }
        catch (OperationCanceledException) when (context.GetHttpContext()?.RequestAborted.IsCancellationRequested == true)
        {
            // The caller went away: nobody is left to answer.
        }
        catch (Exception e)
        {
            LogUnhandled(e, context.FunctionDefinition.Name, context.InvocationId);
            FunctionAttributes.Answer(context, Problems.ServerError($"An unexpected error occurred (invocation {context.InvocationId})."));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed unexpectedly (invocation {InvocationId})")]
    private partial void LogUnhandled(Exception e, string function, string invocationId);
}
