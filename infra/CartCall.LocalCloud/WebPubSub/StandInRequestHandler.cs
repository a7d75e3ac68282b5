using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>
/// Routes every request by hand: the service's paths (<c>/:send</c>, encoded user ids) are matched on the raw
/// request target, which is also what the token audience is checked against, and every miss gets a problem body.
/// </summary>
internal sealed partial class StandInRequestHandler
{
    /// <summary>api-versions of the data-plane REST API the stand-in answers (GA versions the SDKs send).</summary>
    public static readonly IReadOnlySet<string> ApiVersions = new HashSet<string>(StringComparer.Ordinal)
    {
        "2024-12-01", "2024-01-01", "2023-07-01", "2021-10-01",
    };

    private readonly WebPubSubStandInOptions _options;
    private readonly byte[] _key;
    private readonly StandInHubs _hubs;
    private readonly StandInActivityLog _log;
    private readonly ILogger _logger;
    private readonly CancellationToken _stopping;

    public StandInRequestHandler(WebPubSubStandInOptions options, string accessKey, StandInHubs hubs, StandInActivityLog log, ILogger logger, CancellationToken stopping)
    {
        _options = options;
        _key = Encoding.UTF8.GetBytes(accessKey);
        _hubs = hubs;
        _log = log;
        _logger = logger;
        _stopping = stopping;
    }

    /// <summary>The public endpoint (<c>http://127.0.0.1:port</c>), known once Kestrel has bound.</summary>
    public string Endpoint { get; set; } = "";

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$")]
    private static partial Regex HubName();

    public async Task HandleAsync(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var rawPath = rawTarget.Split('?', 2)[0];
        string[] segments;
        try
        {
            segments = rawPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        }
        catch (UriFormatException)
        {
            await StandInProblem.WriteAsync(context, 400, "InvalidRequest", "The request path is not well formed.");
            return;
        }

        try
        {
            switch (segments)
            {
                case ["client", "hubs", var hub]:
                    await HandleClientAsync(context, hub);
                    return;
                case ["api", "health"]:
                    context.Response.StatusCode = 200;
                    return;
                case ["api", "hubs", var hub, .. var rest]:
                    await HandleRestAsync(context, hub, rest, rawTarget, rawPath);
                    return;
                case ["_standin", "log"]:
                    context.Response.ContentType = "application/json";
                    await JsonSerializer.SerializeAsync(context.Response.Body, _log.Snapshot(), StandInJson.Options, context.RequestAborted);
                    return;
                default:
                    await StandInProblem.WriteAsync(context, 404, "NotFound", $"No Web PubSub endpoint at '{rawPath}'.");
                    return;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The caller left or the stand-in is stopping.
        }
    }

    private bool IsValidHub(string hub) => HubName().IsMatch(hub);

    /// <summary>Both forms of the request URL (scheme and host as the client addressed us, and as the endpoint says).</summary>
    private List<string> Audiences(HttpContext context, params string[] pathsAndQueries)
    {
        var bases = new[] { $"{context.Request.Scheme}://{context.Request.Host.Value}".ToLowerInvariant(), Endpoint }.Distinct();
        return [.. bases.SelectMany(b => pathsAndQueries.Select(p => b + p))];
    }

    private bool TryAuthenticate(string? token, IReadOnlyCollection<string> audiences, out WebPubSubTokenClaims claims, out string error)
    {
        if (string.IsNullOrEmpty(token))
        {
            claims = new WebPubSubTokenClaims(null, [], []);
            error = "No access token: send 'Authorization: Bearer <jwt>' (REST) or '?access_token=<jwt>' (client).";
            return false;
        }

        return StandInJwt.TryValidate(token, _key, audiences, _options.TimeProvider.GetUtcNow(), _options.ClockSkew, out claims, out error);
    }

    private static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private int Deliver(IReadOnlyList<StandInConnection> targets, DataOut message)
    {
        var delivered = 0;
        foreach (var target in targets)
        {
            if (target.TryEnqueue(message))
            {
                delivered++;
            }
            else
            {
                LogQueueFull(_logger, target.ConnectionId);
            }
        }

        return delivered;
    }

    internal static string Describe(DataOut message) => message.DataType switch
    {
        MessageDataType.Binary => Convert.ToBase64String(message.Data.Span),
        _ => Encoding.UTF8.GetString(message.Data.Span),
    };

    internal static string WireName(MessageDataType type) => type switch
    {
        MessageDataType.Text => "text",
        MessageDataType.Json => "json",
        _ => "binary",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web PubSub stand-in: queue of connection {ConnectionId} is full; frame dropped")]
    private static partial void LogQueueFull(ILogger logger, string connectionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Web PubSub stand-in: {Kind} on hub {Hub} for {Target} reached {Recipients} connection(s)")]
    private static partial void LogActivity(ILogger logger, string kind, string hub, string target, int recipients);

    [LoggerMessage(Level = LogLevel.Information, Message = "Web PubSub stand-in: refused {Method} {Path}: {Status} {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string reason);
}

/// <summary>JSON settings of the stand-in's own views.</summary>
internal static class StandInJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
