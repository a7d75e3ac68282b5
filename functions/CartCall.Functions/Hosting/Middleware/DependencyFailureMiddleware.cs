using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace CartCall.Functions.Hosting.Middleware;

/// <summary>
/// A dependency that fails (storage, Event Grid, ACS) is the caller's cue to retry: an HTTP function answers 503 with
/// <c>Retry-After</c>, never a bare 500. A dependency that refuses CartCall (401, 403, 404) is a configuration error:
/// logged as such and answered 500, since retrying cannot help. Other triggers keep their exceptions, so the host
/// retries the message or the activity.
/// </summary>
public sealed partial class DependencyFailureMiddleware(ILogger<DependencyFailureMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public const string RetryAfterSeconds = "1";

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
        catch (Exception e) when (Map(e, FunctionAttributes.Http(context), context.FunctionDefinition.Name, logger) is { } answer)
        {
            FunctionAttributes.Answer(context, answer);
        }
    }

    /// <summary>The answer for a failed dependency, or null when <paramref name="e"/> is not one (it then propagates).</summary>
    internal static IResult? Map(Exception e, HttpContext http, string function, ILogger logger)
    {
        var aborted = http.RequestAborted.IsCancellationRequested;
        if (e is SessionConflictException || e.InnerException is SessionConflictException)
        {
            return Unavailable(http, "The session is being updated by many events at once; retry the request.");
        }

        if (e is ConcurrencyConflictException)
        {
            // The optimistic-concurrency policy spent its attempts: the row is busy, not broken.
            return Unavailable(http, "What this request changes is being changed by many requests at once; retry the request.");
        }

        if (DependencyFailures.IsConfiguration(e))
        {
            LogMisconfigured(logger, e, function);
            return Problems.ServerError("A service CartCall depends on refused its request; the operator has been alerted.");
        }

        if (DependencyFailures.IsTransient(e, http.RequestAborted) || (e is OperationCanceledException && !aborted))
        {
            LogTransient(logger, function, e.GetType().Name, e.Message.Split('\n')[0]);
            return Unavailable(http, e is Azure.RequestFailedException r
                ? $"A storage or messaging call failed ({r.Status} {r.ErrorCode}); retry the request."
                : "A dependency could not be reached; retry the request.");
        }

        return null;
    }

    private static IResult Unavailable(HttpContext http, string detail)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problems.Unavailable(detail);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: a dependency refused CartCall (configuration error, not retried)")]
    private static partial void LogMisconfigured(ILogger logger, Exception e, string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: a dependency failed ({Type}: {Reason}); answered 503")]
    private static partial void LogTransient(ILogger logger, string function, string type, string reason);
}
