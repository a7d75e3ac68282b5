using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>The client protocol a connection negotiated.</summary>
internal enum ClientProtocol
{
    /// <summary>No subprotocol: raw messages both ways.</summary>
    Simple,

    /// <summary><c>json.webpubsub.azure.v1</c>.</summary>
    Json,

    /// <summary><c>json.reliable.webpubsub.azure.v1</c>: as Json, plus sequence ids and a reconnection token.</summary>
    JsonReliable,
}

/// <summary>How message data is typed on the wire (REST content type ↔ frame <c>dataType</c>).</summary>
internal enum MessageDataType
{
    Text,
    Json,
    Binary,
}

/// <summary>Something queued for a connection's single writer.</summary>
internal abstract record Outgoing;

/// <summary>A data message; framed per protocol when written. <paramref name="Group"/> is set for group messages from clients.</summary>
internal sealed record DataOut(MessageDataType DataType, ReadOnlyMemory<byte> Data, string? Group, string? FromUserId) : Outgoing;

/// <summary>A ready JSON frame (system, ack, pong); never sent on simple connections.</summary>
internal sealed record ControlOut(byte[] Json) : Outgoing;

/// <summary>Close the socket after what is queued ahead.</summary>
internal sealed record CloseOut(string Reason) : Outgoing;

/// <summary>A live client connection: a bounded queue drained by one writer, since a WebSocket allows one send at a time.</summary>
internal sealed class StandInConnection
{
    private readonly WebSocket _socket;
    private readonly Channel<Outgoing> _queue;
    private long _sequenceId;

    public StandInConnection(string hub, string connectionId, string? userId, IEnumerable<string> roles, ClientProtocol protocol, WebSocket socket, int queueCapacity)
    {
        Hub = hub;
        ConnectionId = connectionId;
        UserId = userId;
        Roles = new HashSet<string>(roles, StringComparer.Ordinal);
        Protocol = protocol;
        _socket = socket;
        _queue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
    }

    public string Hub { get; }

    public string ConnectionId { get; }

    public string? UserId { get; }

    /// <summary>Permissions from the token; guarded by the registry's lock like <see cref="Groups"/>.</summary>
    public HashSet<string> Roles { get; }

    /// <summary>Groups this connection is in; guarded by the registry's lock.</summary>
    public HashSet<string> Groups { get; } = new(StringComparer.Ordinal);

    public ClientProtocol Protocol { get; }

    /// <summary>The ack ids this connection already used: the service answers a repeated one with a Duplicate error.</summary>
    public HashSet<long> SeenAckIds { get; } = [];

    public bool TryEnqueue(Outgoing item) => _queue.Writer.TryWrite(item);

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Drains the queue to the socket until it is completed, a close is queued, or the socket fails.</summary>
    public async Task WriteLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(ct))
            {
                switch (item)
                {
                    case ControlOut control when Protocol != ClientProtocol.Simple:
                        await _socket.SendAsync(control.Json, WebSocketMessageType.Text, true, ct);
                        break;
                    case DataOut data:
                        await WriteDataAsync(data, ct);
                        break;
                    case CloseOut close:
                        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        {
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, close.Reason, ct);
                        }

                        return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or the stand-in is stopping: nothing left to deliver to.
        }
    }

    private Task WriteDataAsync(DataOut data, CancellationToken ct)
    {
        if (Protocol == ClientProtocol.Simple)
        {
            var type = data.DataType == MessageDataType.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
            return _socket.SendAsync(data.Data, type, true, ct).AsTask();
        }

        var frame = EncodeDataFrame(data, Protocol == ClientProtocol.JsonReliable ? ++_sequenceId : null);
        return _socket.SendAsync(new ReadOnlyMemory<byte>(frame), WebSocketMessageType.Text, true, ct).AsTask();
    }

    internal static byte[] EncodeDataFrame(DataOut data, long? sequenceId)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "message");
            if (data.Group is null)
            {
                writer.WriteString("from", "server");
            }
            else
            {
                writer.WriteString("from", "group");
                writer.WriteString("group", data.Group);
                if (data.FromUserId is not null)
                {
                    writer.WriteString("fromUserId", data.FromUserId);
                }
            }

            if (sequenceId is { } seq)
            {
                writer.WriteNumber("sequenceId", seq);
            }

            switch (data.DataType)
            {
                case MessageDataType.Text:
                    writer.WriteString("dataType", "text");
                    writer.WriteString("data", Encoding.UTF8.GetString(data.Data.Span));
                    break;
                case MessageDataType.Json:
                    writer.WriteString("dataType", "json");
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(data.Data.Span, skipInputValidation: false);
                    break;
                default:
                    writer.WriteString("dataType", "binary");
                    writer.WriteBase64String("data", data.Data.Span);
                    break;
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
