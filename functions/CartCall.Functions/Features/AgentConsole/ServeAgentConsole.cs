using CartCall.Functions.Features.OpenApi;

namespace CartCall.Functions.Features.AgentConsole;

/// <summary>
/// <c>GET /api/agents/console</c>: the agent console, one small HTML page with no framework. The agent enters the
/// merchant id and key, sets their availability (the agents API) and watches calls arrive with their cart — live over
/// Web PubSub (group <c>agents:{merchantId}</c>), with polling of the calls list as the fallback.
/// </summary>
public sealed class ServeAgentConsole
{
    [Function(nameof(ServeAgentConsole))]
    [ApiTag("Agent console")]
    [Response(200, null, "text/html")]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agents/console")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.HttpContext.Response.Headers;
        // The page talks only to this app and its Web PubSub; nothing else may run or frame it.
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'";
        headers.CacheControl = "no-store";
        headers["X-Content-Type-Options"] = "nosniff";
        return Results.Content(AgentConsolePage.Html, "text/html; charset=utf-8");
    }
}
