using System.Buffers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>The client endpoint (<c>/client/hubs/{hub}</c>): token check, subprotocol negotiation, the JSON subprotocols.</summary>
internal sealed partial class StandInRequestHandler
{
    public const string JsonSubprotocol = "json.webpubsub.azure.v1";
    public const string JsonReliableSubprotocol = "json.reliable.webpubsub.azure.v1";
    private const int MaxClientFrameBytes = 1024 * 1024;

    private async Task HandleClientAsync(HttpContext context, string hub)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            await RefuseAsync(context, 405, "MethodNotAllowed", "The client endpoint takes a WebSocket upgrade (GET).");
            return;
        }

        if (!IsValidHub(hub))
        {
            await RefuseAsync(context, 400, "InvalidHubName", $"Hub name '{hub}' is invalid: it must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{{0,127}}$.");
            return;
        }

        var token = context.Request.Query["access_token"].ToString();
        if (token.Length == 0)
        {
            token = BearerToken(context) ?? "";
        }

        // The token's audience is the http(s) form of the endpoint, even though the client dials ws(s).
        if (!TryAuthenticate(token, Audiences(context, $"/client/hubs/{hub}"), out var claims, out var error))
        {
            await RefuseAsync(context, 401, "Unauthorized", error);
            return;
        }

        if (context.Request.Query.ContainsKey("awps_connection_id"))
        {
            // Reliable clients try to resume a dropped connection; the stand-in keeps no state to resume from.
            await RefuseAsync(context, 404, "ConnectionNotRecoverable", "The stand-in cannot resume connections; start a new one.");
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await RefuseAsync(context, 400, "NotWebSocket", "The client endpoint takes a WebSocket upgrade.");
            return;
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = ClientProtocol.Simple;
        string? subprotocol = null;
        foreach (var candidate in requested)
        {
            if (candidate == JsonSubprotocol || candidate == JsonReliableSubprotocol)
            {
                subprotocol = candidate;
                protocol = candidate == JsonSubprotocol ? ClientProtocol.Json : ClientProtocol.JsonReliable;
                break;
            }
        }

        if (requested.Count > 0 && subprotocol is null)
        {
            await RefuseAsync(context, 400, "UnsupportedSubprotocol",
                $"None of the subprotocols '{string.Join(", ", requested)}' is supported; use {JsonSubprotocol} or {JsonReliableSubprotocol}.");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subprotocol });
        var connectionId = Base64UrlId();
        var connection = new StandInConnection(hub, connectionId, claims.UserId, claims.Roles, protocol, socket, _options.ConnectionQueueCapacity);
        _hubs.Add(connection, claims.Groups);
        _log.Add("connected", hub, $"connection:{connectionId}", 1, detail: $"user={claims.UserId ?? "(anonymous)"} protocol={subprotocol ?? "(none)"} groups={string.Join(",", claims.Groups)}");
        LogConnected(_logger, hub, connectionId, claims.UserId, subprotocol ?? "(none)");

        if (protocol != ClientProtocol.Simple)
        {
            var fields = new List<(string, string?)> { ("userId", claims.UserId), ("connectionId", connectionId) };
            if (protocol == ClientProtocol.JsonReliable)
            {
                fields.Add(("reconnectionToken", Base64UrlId()));
            }

            connection.TryEnqueue(new ControlOut(SystemFrame("connected", [.. fields])));
        }

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        var writer = connection.WriteLoopAsync(lifetime.Token);
        try
        {
            await ReadLoopAsync(connection, socket, lifetime.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client vanished or the stand-in is stopping.
        }
        finally
        {
            _hubs.Remove(connection);
            connection.Complete();
            await writer;
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.CloseAsync(_stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure, null, closeTimeout.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    // Best effort.
                }
            }

            _log.Add("disconnected", hub, $"connection:{connectionId}", 0, detail: $"user={claims.UserId ?? "(anonymous)"}");
        }
    }

    private async Task ReadLoopAsync(StandInConnection connection, WebSocket socket, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (socket.State == WebSocketState.Open)
        {
            buffer.Clear();
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.GetMemory(4096), ct);
                buffer.Advance(result.Count);
                if (buffer.WrittenCount > MaxClientFrameBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "Message too big.", ct);
                    return;
                }
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (connection.Protocol == ClientProtocol.Simple || result.MessageType != WebSocketMessageType.Text)
            {
                // Without a subprotocol, client messages would go to an upstream event handler; the stand-in has none.
                _log.Add("client-message", connection.Hub, $"connection:{connection.ConnectionId}", 0,
                    result.MessageType == WebSocketMessageType.Text ? "text" : "binary",
                    result.MessageType == WebSocketMessageType.Text ? Encoding.UTF8.GetString(buffer.WrittenSpan) : Convert.ToBase64String(buffer.WrittenSpan),
                    "no upstream event handler in the stand-in; message ignored");
                continue;
            }

            HandleClientFrame(connection, buffer.WrittenMemory);
        }
    }

    private void HandleClientFrame(StandInConnection connection, ReadOnlyMemory<byte> frame)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame);
        }
        catch (JsonException)
        {
            _log.Add("invalid-frame", connection.Hub, $"connection:{connection.ConnectionId}", 0, "text", Encoding.UTF8.GetString(frame.Span), "not JSON");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            var type = String(root, "type");
            long? ackId = root.TryGetProperty("ackId", out var a) && a.TryGetInt64(out var id) ? id : null;
            if (ackId is { } ack && type is "joinGroup" or "leaveGroup" or "sendToGroup" or "event" && !connection.SeenAckIds.Add(ack))
            {
                Ack(connection, ack, "Duplicate", "The ackId was already used on this connection.");
                return;
            }

            var group = String(root, "group");
            switch (type)
            {
                case "joinGroup" or "leaveGroup":
                    if (string.IsNullOrEmpty(group))
                    {
                        Ack(connection, ackId, "BadRequest", "The group name is missing.");
                    }
                    else if (!_hubs.HasPermission(connection, "webpubsub.joinLeaveGroup", group))
                    {
                        Ack(connection, ackId, "Forbidden", $"The connection has no webpubsub.joinLeaveGroup permission for group '{group}'.");
                    }
                    else
                    {
                        _ = type == "joinGroup" ? _hubs.Join(connection, group) : _hubs.Leave(connection, group);
                        _log.Add(type, connection.Hub, $"connection:{connection.ConnectionId} group:{group}", 1);
                        Ack(connection, ackId, null, null);
                    }

                    break;
                case "sendToGroup":
                    SendToGroupFromClient(connection, root, group, ackId);
                    break;
                case "event":
                    _log.Add("event", connection.Hub, $"connection:{connection.ConnectionId}", 0, String(root, "dataType"),
                        root.TryGetProperty("data", out var d) ? d.GetRawText() : null, $"event '{String(root, "event")}': no upstream handler in the stand-in");
                    Ack(connection, ackId, null, null);
                    break;
                case "ping":
                    connection.TryEnqueue(new ControlOut("""{"type":"pong"}"""u8.ToArray()));
                    break;
                case "sequenceAck":
                    break; // the stand-in does not resend, so acknowledged sequence ids need no bookkeeping
                case "invoke":
                    connection.TryEnqueue(new ControlOut(JsonSerializer.SerializeToUtf8Bytes(new
                    {
                        type = "invokeResponse",
                        invocationId = String(root, "invocationId"),
                        success = false,
                        error = new { name = "NotSupported", message = "The stand-in has no upstream to invoke." },
                    })));
                    break;
                default:
                    if (ackId is not null)
                    {
                        Ack(connection, ackId, "BadRequest", $"Unknown frame type '{type}'.");
                    }

                    break;
            }
        }
    }

    private void SendToGroupFromClient(StandInConnection connection, JsonElement root, string? group, long? ackId)
    {
        if (string.IsNullOrEmpty(group))
        {
            Ack(connection, ackId, "BadRequest", "The group name is missing.");
            return;
        }

        if (!_hubs.HasPermission(connection, "webpubsub.sendToGroup", group))
        {
            Ack(connection, ackId, "Forbidden", $"The connection has no webpubsub.sendToGroup permission for group '{group}'.");
            return;
        }

        if (!TryReadData(root, out var dataType, out var data, out var error))
        {
            Ack(connection, ackId, "BadRequest", error);
            return;
        }

        var noEcho = root.TryGetProperty("noEcho", out var n) && n.ValueKind == JsonValueKind.True;
        var recipients = _hubs.Group(connection.Hub, group, noEcho ? [connection.ConnectionId] : []);
        var message = new DataOut(dataType, data, group, connection.UserId);
        var delivered = Deliver(recipients, message);
        _log.Add(delivered == 0 ? "dropped" : "sent", connection.Hub, $"group:{group} from connection:{connection.ConnectionId}", delivered,
            WireName(dataType), Describe(message));
        Ack(connection, ackId, null, null);
    }

    private static bool TryReadData(JsonElement root, out MessageDataType dataType, out byte[] data, out string error)
    {
        dataType = MessageDataType.Text;
        data = [];
        error = "";
        if (!root.TryGetProperty("data", out var value))
        {
            error = "The frame has no data.";
            return false;
        }

        switch (String(root, "dataType") ?? "json")
        {
            case "text" when value.ValueKind == JsonValueKind.String:
                data = Encoding.UTF8.GetBytes(value.GetString()!);
                return true;
            case "json":
                dataType = MessageDataType.Json;
                data = Encoding.UTF8.GetBytes(value.GetRawText());
                return true;
            case "binary" or "protobuf" when value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes):
                dataType = MessageDataType.Binary;
                data = bytes;
                return true;
            default:
                error = "dataType must be text (string data), json, or binary (base64 data).";
                return false;
        }
    }

    private static void Ack(StandInConnection connection, long? ackId, string? errorName, string? errorMessage)
    {
        if (ackId is null)
        {
            return;
        }

        var frame = errorName is null
            ? JsonSerializer.SerializeToUtf8Bytes(new { type = "ack", ackId, success = true })
            : JsonSerializer.SerializeToUtf8Bytes(new { type = "ack", ackId, success = false, error = new { name = errorName, message = errorMessage } });
        connection.TryEnqueue(new ControlOut(frame));
    }

    internal static byte[] SystemFrame(string eventName, params (string Name, string? Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "system");
            writer.WriteString("event", eventName);
            foreach (var (name, value) in fields)
            {
                if (value is null)
                {
                    writer.WriteNull(name);
                }
                else
                {
                    writer.WriteString(name, value);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Base64UrlId() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    [LoggerMessage(Level = LogLevel.Information, Message = "Web PubSub stand-in: hub {Hub} connection {ConnectionId} for user {UserId} ({Subprotocol})")]
    private static partial void LogConnected(ILogger logger, string hub, string connectionId, string? userId, string subprotocol);
}
