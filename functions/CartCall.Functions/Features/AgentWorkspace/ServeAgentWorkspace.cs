using CartCall.Functions.Features.OpenApi;

namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>
/// <c>GET /api/agent/workspace</c>: the agent workspace. The agent signs in with their own key; the page shows their
/// state, rings for calls (in the browser through the calling adapter the app names, or on their phone), shows the
/// cart, score and reasons, and keeps today's calls with their dispositions.
/// </summary>
public sealed class ServeAgentWorkspace
{
    [Function(nameof(ServeAgentWorkspace))]
    [ApiTag("Agent workspace")]
    [Response(200, null, "text/html")]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent/workspace")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.HttpContext.Response.Headers;
        // The page talks only to this app, its Web PubSub and (locally) the stand-in's calling socket; nothing may frame it.
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
            + "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss: https:; frame-ancestors 'none'";
        headers.CacheControl = "no-store";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(AgentWorkspacePage.Html, "text/html; charset=utf-8");
    }
}
