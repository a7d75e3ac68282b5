using System.Net;
using System.Text;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// HTTP triggers as the Functions host serves them with the ASP.NET Core integration: the host matches the route and
/// method, forwards the request to the worker's own HTTP server with <c>x-ms-invocation-id</c>, and sends the
/// invocation with the same id over gRPC; the worker joins the two and answers on the forwarded request.
/// </summary>
public sealed class HttpTriggerProxy : IDisposable
{
    /// <summary>The header the worker's ASP.NET Core integration joins a request and its invocation by.</summary>
    public const string InvocationIdHeader = "x-ms-invocation-id";

    private readonly FunctionInvoker invoker;
    private readonly IHttpForwarder forwarder;
    private readonly ILogger logger;
    private readonly TimeSpan timeout;
    private readonly HttpMessageInvoker client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // Kestrel (the front here, and the worker's) reads header values as ASCII or UTF-8; the forward writes them back
        // as the same bytes. HttpClient's default (ASCII only) refused such a request, so it never reached the worker.
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8,
    });

    public HttpTriggerProxy(FunctionInvoker invoker, IHttpForwarder forwarder, ILogger logger, TimeSpan timeout)
    {
        this.invoker = invoker;
        this.forwarder = forwarder;
        this.logger = logger;
        this.timeout = timeout;
    }

    /// <summary>Maps every HTTP-triggered function at <c>{routePrefix}/{route}</c> for its methods.</summary>
    public void Map(IEndpointRouteBuilder endpoints, IEnumerable<FunctionDescriptor> functions, string routePrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var function in functions.Where(f => f.Kind == TriggerKind.Http))
        {
            var route = function.Trigger.Text("route") ?? function.Name;
            var pattern = routePrefix.Length == 0 ? "/" + route : $"/{routePrefix}/{route}";
            var methods = function.Trigger.Texts("methods")?.Select(m => m.ToUpperInvariant()).ToList();
            var name = function.Name;
            RequestDelegate handler = context => ForwardAsync(context, name);
            var builder = methods is { Count: > 0 } ? endpoints.MapMethods(pattern, methods, handler) : endpoints.Map(pattern, handler);
            builder.WithDisplayName(name);
        }
    }

    private async Task ForwardAsync(HttpContext context, string functionName)
    {
        WorkerSession session;
        try
        {
            session = await invoker.Supervisor.WaitReadyAsync(FunctionInvoker.ReadyWait, context.RequestAborted).ConfigureAwait(false);
        }
        catch (WorkerUnavailableException)
        {
            // As the platform answers while the app restarts.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        if (session.Channel.HttpUri is not { } workerUri)
        {
            logger.LogError("The worker did not report an HttpUri capability: it is not using the ASP.NET Core integration");
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var request = invoker.NewRequest(session, functionName);
        var trigger = session.Functions[functionName].Trigger;
        request.InputData.Insert(0, new ParameterBinding
        {
            Name = trigger.Name,
            Data = new TypedData { Http = new RpcHttp { Method = context.Request.Method, Url = context.Request.GetEncodedUrlSafe() } },
        });
        foreach (var (key, value) in context.Request.RouteValues)
        {
            if (value is not null)
            {
                request.TriggerMetadata[key] = FunctionInvoker.Text(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }
        }

        // The real host starts the forward first; the worker waits up to 5 s for the invocation to meet it.
        var forwarded = forwarder.SendAsync(context, workerUri.GetLeftPart(UriPartial.Authority), client,
            new ForwarderRequestConfig { ActivityTimeout = timeout }, new InvocationTransformer(request.InvocationId)).AsTask();
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var invocation = session.Channel.InvokeAsync(request, timeout, abandon.Token);

        var error = ForwarderError.Request;
        try
        {
            error = await forwarded.ConfigureAwait(false);
        }
        finally
        {
            if (error != ForwarderError.None)
            {
                // The request never reached the worker whole (one HttpClient will not send, such as a header that is
                // not ASCII) or its answer broke off: the invocation waiting for it is cancelled now (InvocationCancel),
                // rather than holding a worker slot until the worker gives up on it 15 s later.
                await abandon.CancelAsync().ConfigureAwait(false);
            }

            await ObserveAsync(invocation, functionName, context).ConfigureAwait(false);
        }

        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
        }
    }

    private async Task ObserveAsync(Task<InvocationResponse> invocation, string functionName, HttpContext context)
    {
        try
        {
            var response = await invocation.ConfigureAwait(false);
            if (response.Result?.Status != StatusResult.Types.Status.Success)
            {
                logger.LogError("{Function} failed: {Error}", functionName, response.Result?.Exception?.Message);
                if (!context.Response.HasStarted)
                {
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            }
        }
        catch (Exception e) when (e is WorkerUnavailableException or OperationCanceledException or TimeoutException)
        {
            logger.LogWarning("{Function}: no invocation answer ({Reason})", functionName, e.Message);
        }
    }

    public void Dispose() => client.Dispose();

    /// <summary>Copies the request as YARP does, adds the invocation id, and the client's address as the front end would.</summary>
    private sealed class InvocationTransformer(string invocationId) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken).ConfigureAwait(false);
            proxyRequest.Headers.TryAddWithoutValidation(InvocationIdHeader, invocationId);
            // The platform's front end appends the caller's address: the one hop the app may trust.
            var client = httpContext.Connection.RemoteIpAddress?.ToString();
            if (client is not null)
            {
                var existing = httpContext.Request.Headers["X-Forwarded-For"].ToString();
                proxyRequest.Headers.Remove("X-Forwarded-For");
                proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", existing.Length == 0 ? client : existing + ", " + client);
            }

            proxyRequest.Headers.Remove("X-Forwarded-Proto");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            proxyRequest.Headers.Remove("X-Forwarded-Host");
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        }
    }
}

internal static class HttpRequestUrls
{
    public static string GetEncodedUrlSafe(this HttpRequest request) =>
        $"{request.Scheme}://{request.Host.Value}{request.PathBase.Value}{request.Path.Value}{request.QueryString.Value}";
}
