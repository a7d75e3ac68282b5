using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>The data-plane REST API (<c>/api/hubs/{hub}/...</c>), per the 2024-12-01 spec.</summary>
internal sealed partial class StandInRequestHandler
{
    private const int MaxMessageBytes = 1024 * 1024; // the service's message size limit

    private static readonly HashSet<string> GrantablePermissions = new(StringComparer.Ordinal) { "sendToGroup", "joinLeaveGroup" };

    private async Task HandleRestAsync(HttpContext context, string hub, string[] rest, string rawTarget, string rawPath)
    {
        var method = context.Request.Method;
        Func<Task>? action = rest switch
        {
            [":send"] when HttpMethods.IsPost(method) => () => SendAsync(context, hub, "hub", hub, _hubs.All(hub, Excluded(context))),
            [":closeConnections"] when HttpMethods.IsPost(method) => () => CloseAsync(context, hub, _hubs.All(hub, Excluded(context))),
            [":generateToken"] when HttpMethods.IsPost(method) => () => GenerateTokenAsync(context, hub),
            ["users", var user, ":send"] when HttpMethods.IsPost(method) => () => SendAsync(context, hub, "user", user, _hubs.User(hub, user)),
            ["users", var user] when HttpMethods.IsHead(method) => () => Exists(context, hub, _hubs.User(hub, user).Count > 0, "user", user),
            ["users", var user, ":closeConnections"] when HttpMethods.IsPost(method) => () => CloseAsync(context, hub, _hubs.User(hub, user)),
            ["users", var user, "groups", var group] when HttpMethods.IsPut(method) => () => Membership(context, hub, "add-user", user, group, _hubs.AddUserToGroup(hub, user, group)),
            ["users", var user, "groups", var group] when HttpMethods.IsDelete(method) => () => Membership(context, hub, "remove-user", user, group, _hubs.RemoveUserFromGroup(hub, user, group)),
            ["users", var user, "groups"] when HttpMethods.IsDelete(method) => () => Membership(context, hub, "remove-user-all", user, "*", _hubs.RemoveUserFromAllGroups(hub, user)),
            ["groups", var group, ":send"] when HttpMethods.IsPost(method) => () => SendAsync(context, hub, "group", group, _hubs.Group(hub, group, Excluded(context))),
            ["groups", var group] when HttpMethods.IsHead(method) => () => Exists(context, hub, _hubs.Group(hub, group, []).Count > 0, "group", group),
            ["groups", var group, ":closeConnections"] when HttpMethods.IsPost(method) => () => CloseAsync(context, hub, _hubs.Group(hub, group, Excluded(context))),
            ["groups", var group, "connections", var id] when HttpMethods.IsPut(method) => () => ConnectionMembershipAsync(context, hub, group, id, join: true),
            ["groups", var group, "connections", var id] when HttpMethods.IsDelete(method) => () => ConnectionMembershipAsync(context, hub, group, id, join: false),
            ["connections", var id, ":send"] when HttpMethods.IsPost(method) => () => SendAsync(context, hub, "connection", id, _hubs.Connection(hub, id) is { } c ? [c] : []),
            ["connections", var id] when HttpMethods.IsHead(method) => () => Exists(context, hub, _hubs.Connection(hub, id) is not null, "connection", id),
            ["connections", var id] when HttpMethods.IsDelete(method) => () => CloseAsync(context, hub, _hubs.Connection(hub, id) is { } c ? [c] : []),
            ["connections", var id, "groups"] when HttpMethods.IsDelete(method) => () => LeaveAllAsync(context, hub, id),
            ["permissions", var permission, "connections", var id] when HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsHead(method)
                => () => PermissionAsync(context, hub, permission, id),
            _ => null,
        };

        if (action is null)
        {
            await RefuseAsync(context, KnownPath(rest) ? 405 : 404, KnownPath(rest) ? "MethodNotAllowed" : "NotFound",
                $"The Web PubSub REST API has no {method} {rawPath}.");
            return;
        }

        if (!IsValidHub(hub))
        {
            await RefuseAsync(context, 400, "InvalidHubName", $"Hub name '{hub}' is invalid: it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{{0,127}}$.");
            return;
        }

        var apiVersion = context.Request.Query["api-version"].ToString();
        if (apiVersion.Length == 0)
        {
            await RefuseAsync(context, 400, "MissingApiVersionParameter", "The api-version query parameter is required.");
            return;
        }

        if (!ApiVersions.Contains(apiVersion))
        {
            await RefuseAsync(context, 400, "UnsupportedApiVersion", $"api-version '{apiVersion}' is not supported; use one of {string.Join(", ", ApiVersions)}.");
            return;
        }

        if (!TryAuthenticate(BearerToken(context), Audiences(context, rawTarget, rawPath), out _, out var error))
        {
            await RefuseAsync(context, 401, "Unauthorized", error);
            return;
        }

        await action();
    }

    private static bool KnownPath(string[] rest) => rest switch
    {
        [":send"] or [":closeConnections"] or [":generateToken"] => true,
        ["users" or "groups" or "connections", _, ..] => true,
        ["permissions", _, "connections", _] => true,
        _ => false,
    };

    private async Task RefuseAsync(HttpContext context, int status, string code, string detail)
    {
        LogRefused(_logger, context.Request.Method, context.Request.Path.Value ?? "", status, detail);
        await StandInProblem.WriteAsync(context, status, code, detail);
    }

    private static HashSet<string> Excluded(HttpContext context) =>
        new(context.Request.Query["excluded"].Where(e => !string.IsNullOrEmpty(e)).Select(e => e!), StringComparer.Ordinal);

    private async Task SendAsync(HttpContext context, string hub, string targetKind, string target, IReadOnlyList<StandInConnection> recipients)
    {
        if (context.Request.Query.ContainsKey("filter"))
        {
            await RefuseAsync(context, 400, "FilterNotSupported", "The stand-in does not evaluate OData 'filter' expressions; send without one.");
            return;
        }

        if (context.Request.Query.TryGetValue("messageTtlSeconds", out var ttl)
            && (!int.TryParse(ttl, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 300))
        {
            await RefuseAsync(context, 400, "InvalidMessageTtl", "messageTtlSeconds must be an integer from 0 to 300.");
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType))
        {
            await RefuseAsync(context, 415, "UnsupportedMediaType", "Content-Type must be text/plain, application/json or application/octet-stream.");
            return;
        }

        MessageDataType? dataType = mediaType.MediaType?.ToLowerInvariant() switch
        {
            "text/plain" => MessageDataType.Text,
            "application/json" => MessageDataType.Json,
            "application/octet-stream" => MessageDataType.Binary,
            _ => null,
        };
        if (dataType is null)
        {
            await RefuseAsync(context, 415, "UnsupportedMediaType", $"Content-Type '{mediaType.MediaType}' is not text/plain, application/json or application/octet-stream.");
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length > MaxMessageBytes)
        {
            await RefuseAsync(context, 413, "PayloadTooLarge", $"The message is {body.Length} bytes; the limit is {MaxMessageBytes}.");
            return;
        }

        var data = body.ToArray();
        if (dataType == MessageDataType.Json && !IsJson(data))
        {
            await RefuseAsync(context, 400, "InvalidJson", "The body is declared application/json but is not valid JSON.");
            return;
        }

        var message = new DataOut(dataType.Value, data, null, null);
        var delivered = Deliver(recipients, message);
        // The service accepts and forgets; the stand-in remembers what reached nobody so a developer can see it.
        var kind = delivered == 0 ? "dropped" : "sent";
        _log.Add(kind, hub, $"{targetKind}:{target}", delivered, WireName(message.DataType), Describe(message),
            delivered == 0 ? $"no live connection for {targetKind} '{target}'" : null);
        LogActivity(_logger, kind, hub, $"{targetKind}:{target}", delivered);
        context.Response.StatusCode = 202;
    }

    private static bool IsJson(byte[] data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            return JsonDocument.TryParseValue(ref reader, out var document) && document is not null && DisposeTrue(document);
        }
        catch (JsonException)
        {
            return false;
        }

        static bool DisposeTrue(JsonDocument d)
        {
            d.Dispose();
            return true;
        }
    }

    private Task CloseAsync(HttpContext context, string hub, IReadOnlyList<StandInConnection> targets)
    {
        var reason = context.Request.Query["reason"].ToString();
        var excluded = Excluded(context);
        var count = 0;
        foreach (var connection in targets.Where(c => !excluded.Contains(c.ConnectionId)))
        {
            CloseConnection(connection, string.IsNullOrEmpty(reason) ? "Closed by the server." : reason);
            count++;
        }

        _log.Add("closed", hub, context.Request.Path.Value ?? "", count, detail: reason);
        context.Response.StatusCode = 204;
        return Task.CompletedTask;
    }

    private void CloseConnection(StandInConnection connection, string reason)
    {
        connection.TryEnqueue(new ControlOut(SystemFrame("disconnected", ("message", reason))));
        connection.TryEnqueue(new CloseOut(reason.Length > 120 ? reason[..120] : reason));
    }

    private Task Exists(HttpContext context, string hub, bool exists, string kind, string name)
    {
        context.Response.StatusCode = exists ? 200 : 404;
        if (!exists)
        {
            context.Response.Headers["x-ms-error-code"] = "NotFound";
        }

        _log.Add("exists", hub, $"{kind}:{name}", exists ? 1 : 0);
        return Task.CompletedTask;
    }

    private Task Membership(HttpContext context, string hub, string kind, string user, string group, int connections)
    {
        _log.Add(kind, hub, $"user:{user} group:{group}", connections);
        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private async Task ConnectionMembershipAsync(HttpContext context, string hub, string group, string connectionId, bool join)
    {
        var connection = _hubs.Connection(hub, connectionId);
        if (connection is null)
        {
            if (join)
            {
                await RefuseAsync(context, 404, "ConnectionNotFound", $"Connection '{connectionId}' does not exist in hub '{hub}'.");
                return;
            }

            context.Response.StatusCode = 200; // removing what is not there is not an error
            return;
        }

        _ = join ? _hubs.Join(connection, group) : _hubs.Leave(connection, group);
        _log.Add(join ? "add-connection" : "remove-connection", hub, $"connection:{connectionId} group:{group}", 1);
        context.Response.StatusCode = 200;
    }

    private Task LeaveAllAsync(HttpContext context, string hub, string connectionId)
    {
        if (_hubs.Connection(hub, connectionId) is { } connection)
        {
            _hubs.LeaveAll(connection);
        }

        context.Response.StatusCode = 200;
        return Task.CompletedTask;
    }

    private async Task PermissionAsync(HttpContext context, string hub, string permission, string connectionId)
    {
        if (!GrantablePermissions.Contains(permission))
        {
            await RefuseAsync(context, 400, "InvalidPermission", $"Permission '{permission}' is not sendToGroup or joinLeaveGroup.");
            return;
        }

        var targetName = context.Request.Query["targetName"].ToString();
        var role = "webpubsub." + permission + (targetName.Length > 0 ? "." + targetName : "");
        var connection = _hubs.Connection(hub, connectionId);
        if (connection is null)
        {
            await RefuseAsync(context, 404, "ConnectionNotFound", $"Connection '{connectionId}' does not exist in hub '{hub}'.");
            return;
        }

        var method = context.Request.Method;
        if (HttpMethods.IsHead(method))
        {
            context.Response.StatusCode = targetName.Length > 0
                ? (_hubs.HasPermission(connection, "webpubsub." + permission, targetName) ? 200 : 404)
                : (_hubs.HasRole(connection, role) ? 200 : 404);
            return;
        }

        _hubs.SetRole(connection, role, HttpMethods.IsPut(method));
        context.Response.StatusCode = 200;
    }

    private async Task GenerateTokenAsync(HttpContext context, string hub)
    {
        var query = context.Request.Query;
        var minutes = 60;
        if (query.TryGetValue("minutesToExpire", out var m)
            && (!int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out minutes) || minutes < 1))
        {
            await RefuseAsync(context, 400, "InvalidMinutesToExpire", "minutesToExpire must be a positive integer.");
            return;
        }

        var clientType = query["clientType"].ToString();
        if (clientType.Length > 0 && !string.Equals(clientType, "Default", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, 400, "UnsupportedClientType", $"The stand-in issues tokens for clientType Default only, not '{clientType}'.");
            return;
        }

        var token = StandInJwt.Create(
            _key,
            $"{Endpoint}/client/hubs/{hub}",
            _options.TimeProvider.GetUtcNow(),
            TimeSpan.FromMinutes(minutes),
            query["userId"].ToString(),
            query["role"].Where(r => !string.IsNullOrEmpty(r)).Select(r => r!),
            query["group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, new { token }, StandInJson.Options, context.RequestAborted);
    }
}
