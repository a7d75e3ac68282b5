using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CartCall.LocalCloud.Acs;

/// <summary>
/// The calling WebSocket at <c>/calling/signaling</c>: what stands in for the ACS Calling SDK's own signalling when a
/// call goes to a <see cref="PartyBehavior.Browser"/> party. Locally there is no ACS media service, so the stand-in
/// rings the party's pages, follows what they do through the same state machine (and so the same signed callbacks)
/// as a scripted party, and relays SDP and ICE between the two browser legs of one call, which then exchange audio
/// peer to peer on loopback.
/// <para>Frames are JSON text. The page's first frame signs it in, with a token this stand-in's Identity API issued:
/// <c>{"type":"auth","token":"…"}</c> → <c>{"type":"ready","userId":"8:acs:…"}</c> (else the socket is closed with 4401).
/// Then, stand-in → page: <c>incoming</c> {callId, operationContext, role, from} (ringing; again for every page of the
/// user), <c>connected</c> {callId} (the leg is in the call), <c>peer</c> {callId, peer, offerer} (another browser leg is
/// in the call: the offerer sends the SDP offer), <c>sdp</c>/<c>ice</c> {callId, description|candidate} (from the peer),
/// <c>peer-left</c> {callId}, <c>ended</c> {callId, reason} (this leg's ringing or call is over), <c>error</c> {message}.
/// Page → stand-in: <c>answer</c>, <c>decline</c>, <c>hangup</c> {callId}; <c>mute</c> {callId, muted}; <c>sdp</c>
/// {callId, description}; <c>ice</c> {callId, candidate} — relayed only when it is a 127.0.0.1 candidate (or the end of
/// candidates), so calls never leave loopback. A page that closes its socket hangs up the legs it answered.</para>
/// </summary>
internal sealed partial class AcsBrowserSignaling(
    AcsCallSimulator simulator, Func<string, Task<string?>> authenticate, TimeSpan authTimeout, ILogger logger) : IBrowserLegs, IAsyncDisposable
{
    public const string Path = "/calling/signaling";
    private const int MaxFrameBytes = 256 * 1024;

    private readonly ConcurrentDictionary<BrowserPage, byte> _pages = new();
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Pages signed in now.</summary>
    public int SignedInPages => _pages.Keys.Count(p => p.UserId is not null);

    public async Task HandleAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            await AcsWire.Error(400, "BadRequest", "This is the stand-in's calling WebSocket; connect with a WebSocket.").ExecuteAsync(ctx).ConfigureAwait(false);
            return;
        }

        using var socket = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, ctx.RequestAborted);
        var page = new BrowserPage(socket);
        var writer = page.RunWriterAsync(linked.Token);
        try
        {
            if (await SignInAsync(page, linked.Token).ConfigureAwait(false))
            {
                while (await ReceiveAsync(socket, linked.Token).ConfigureAwait(false) is { } frame)
                {
                    Handle(page, frame);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            LogPageDropped(logger, page.UserId ?? "(not signed in)", e.Message);
        }
        finally
        {
            _pages.TryRemove(page, out _);
            HangUpAnsweredBy(page);
            page.Complete();
            try
            {
                await writer.ConfigureAwait(false);
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseAsync(page.CloseStatus, page.CloseReason, closing.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                // The page is gone already.
            }
        }
    }

    private async Task<bool> SignInAsync(BrowserPage page, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(authTimeout);
        JsonObject? first;
        try
        {
            first = await ReceiveAsync(page.Socket, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            first = null;
        }

        var token = first?["type"]?.GetValue<string>() == "auth" ? first["token"]?.GetValue<string>() : null;
        var userId = string.IsNullOrEmpty(token) ? null : await authenticate(token).ConfigureAwait(false);
        if (userId is null)
        {
            page.Close(
                (WebSocketCloseStatus)4401,
                token is null ? "The first frame must be {\"type\":\"auth\",\"token\":…}." : "The token is not a voip token this stand-in issued.");
            return false;
        }

        page.UserId = userId;
        _pages[page] = 0;
        page.Send(new JsonObject { ["type"] = "ready", ["userId"] = userId });
        LogSignedIn(logger, userId);
        // Calls that started ringing before this page signed in ring it now.
        foreach (var (call, party) in simulator.RingingInBrowser(userId))
        {
            lock (call.Gate)
            {
                if (party.State == PartyState.Ringing && call.IsLive) page.Send(Incoming(call, party));
            }
        }

        return true;
    }

    private static async Task<JsonObject?> ReceiveAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (message.Length > MaxFrameBytes) throw new WebSocketException(WebSocketError.Faulted, "A frame over 256 KB.");
            if (!result.EndOfMessage) continue;
            if (result.MessageType != WebSocketMessageType.Text) return [];
            try
            {
                return JsonNode.Parse(message.ToArray()) as JsonObject ?? [];
            }
            catch (JsonException)
            {
                return [];
            }
        }
    }

    // ---- page → stand-in -------------------------------------------------------------------------------------

    private void Handle(BrowserPage page, JsonObject frame)
    {
        var type = Text(frame, "type");
        var callId = Text(frame, "callId");
        if (type is null || callId is null)
        {
            page.Send(Error("Every frame needs a type and a callId."));
            return;
        }

        if (!simulator.TryGet(callId, out var call))
        {
            page.Send(Error($"There is no call {callId}."));
            return;
        }

        lock (call.Gate)
        {
            var party = call.Parties.LastOrDefault(p => p.InBrowser && p.Page == page && p.State is PartyState.Connected)
                ?? call.Parties.LastOrDefault(p => p.InBrowser && p.State == PartyState.Ringing && string.Equals(p.Party.UserId, page.UserId, StringComparison.Ordinal));
            if (party is null)
            {
                page.Send(new JsonObject { ["type"] = "ended", ["callId"] = callId, ["reason"] = "This page has no leg in that call." });
                return;
            }

            switch (type)
            {
                case "answer" when party.State == PartyState.Ringing:
                    party.Page = page;
                    page.Answered.TryAdd(call.Id, 0);
                    if (!simulator.Act(call, party.Party.RawId, "answer", null)) party.Page = null;
                    else StopRingingOtherPages(call, party, page);
                    break;
                case "decline" when party.State == PartyState.Ringing:
                    simulator.Act(call, party.Party.RawId, "decline", null);
                    break;
                case "hangup":
                    simulator.Act(call, party.Party.RawId, party.State == PartyState.Ringing ? "decline" : "hangup", null);
                    break;
                case "mute" when party.State == PartyState.Connected:
                    simulator.Act(call, party.Party.RawId, frame["muted"]?.GetValue<bool>() == true ? "mute" : "unmute", null);
                    break;
                case "sdp" when party.State == PartyState.Connected && party.Peer?.Page is BrowserPage peer && frame["description"] is JsonObject description:
                    peer.Send(new JsonObject { ["type"] = "sdp", ["callId"] = call.Id, ["description"] = description.DeepClone() });
                    break;
                case "ice" when party.State == PartyState.Connected && party.Peer?.Page is BrowserPage peer:
                    if (IsLoopbackCandidate(frame["candidate"]))
                        peer.Send(new JsonObject { ["type"] = "ice", ["callId"] = call.Id, ["candidate"] = frame["candidate"]?.DeepClone() });
                    else
                        simulator.NoteLocked(call, $"{party.Party.Label}: dropped a non-loopback ICE candidate");
                    break;
                case "sdp" or "ice":
                    break; // the peer left meanwhile: nothing to relay to
                default:
                    page.Send(Error($"'{type}' is not possible for this leg now ({party.State})."));
                    break;
            }
        }
    }

    private static bool IsLoopbackCandidate(JsonNode? node)
    {
        // null / an empty candidate marks the end of candidates: harmless, and the peer needs it.
        var candidate = node is JsonObject o ? o["candidate"]?.GetValue<string>() : node?.GetValue<string>();
        if (string.IsNullOrEmpty(candidate)) return true;
        // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
        var parts = candidate.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 7 && parts[4] == "127.0.0.1";
    }

    private void StopRingingOtherPages(SimCall call, SimParty party, BrowserPage answeredOn)
    {
        foreach (var other in PagesOf(party.Party.UserId).Where(p => p != answeredOn))
        {
            other.Send(new JsonObject { ["type"] = "ended", ["callId"] = call.Id, ["reason"] = "answered on another page" });
        }
    }

    private void HangUpAnsweredBy(BrowserPage page)
    {
        foreach (var callId in page.Answered.Keys)
        {
            if (!simulator.TryGet(callId, out var call)) continue;
            lock (call.Gate)
            {
                foreach (var party in call.Parties.Where(p => p.Page == page && p.State == PartyState.Connected).ToList())
                {
                    simulator.Act(call, party.Party.RawId, "hangup", null);
                }
            }
        }
    }

    // ---- simulator → pages (under the call's lock: only queue) --------------------------------------------------

    public void Ring(SimCall call, SimParty party)
    {
        foreach (var page in PagesOf(party.Party.UserId)) page.Send(Incoming(call, party));
    }

    public void Joined(SimCall call, SimParty party)
    {
        if (party.Page is not BrowserPage page) return; // answered on the stand-in's own page: no media
        page.Send(new JsonObject { ["type"] = "connected", ["callId"] = call.Id });
        var other = call.Parties.LastOrDefault(p => p != party && p.InBrowser && p.State == PartyState.Connected && p.Peer is null && p.Page is BrowserPage);
        if (other is null) return;
        party.Peer = other;
        other.Peer = party;
        simulator.NoteLocked(call, $"relaying media signalling between {other.Party.Label} and {party.Party.Label}");
        // The leg that joined last makes the offer.
        page.Send(new JsonObject { ["type"] = "peer", ["callId"] = call.Id, ["peer"] = other.Party.RawId, ["offerer"] = true });
        ((BrowserPage)other.Page!).Send(new JsonObject { ["type"] = "peer", ["callId"] = call.Id, ["peer"] = party.Party.RawId, ["offerer"] = false });
    }

    public void Gone(SimCall call, SimParty party, string reason)
    {
        var ended = new JsonObject { ["type"] = "ended", ["callId"] = call.Id, ["reason"] = reason };
        if (party.Page is BrowserPage page) page.Send(ended);
        else foreach (var ringing in PagesOf(party.Party.UserId)) ringing.Send(ended.DeepClone().AsObject());
        if (party.Peer is { } peer)
        {
            if (peer.Page is BrowserPage peerPage) peerPage.Send(new JsonObject { ["type"] = "peer-left", ["callId"] = call.Id });
            peer.Peer = null;
            party.Peer = null;
        }
    }

    private IEnumerable<BrowserPage> PagesOf(string? userId) =>
        userId is null ? [] : _pages.Keys.Where(p => string.Equals(p.UserId, userId, StringComparison.Ordinal));

    private static JsonObject Incoming(SimCall call, SimParty party)
    {
        var from = call.Request["sourceDisplayName"]?.GetValue<string>() ?? call.Request["sourceCallerIdNumber"]?["value"]?.GetValue<string>();
        var incoming = new JsonObject
        {
            ["type"] = "incoming",
            ["callId"] = call.Id,
            ["serverCallId"] = call.ServerCallId,
            ["role"] = party.Role,
            ["operationContext"] = party.OperationContext ?? call.OperationContext,
            ["from"] = from,
        };
        var shopper = call.Parties.FirstOrDefault(p => p.Role == "target");
        if (party.Role == "added" && shopper is not null) incoming["with"] = shopper.Party.RawId;
        return incoming;
    }

    private static JsonObject Error(string message) => new() { ["type"] = "error", ["message"] = message };

    private static string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Calling page signed in as {UserId}")]
    private static partial void LogSignedIn(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Calling page of {UserId} dropped: {Reason}")]
    private static partial void LogPageDropped(ILogger logger, string userId, string reason);
}

/// <summary>One page on the calling WebSocket: frames to it are queued and written by one loop, in order.</summary>
internal sealed class BrowserPage(WebSocket socket)
{
    private readonly Channel<string> _outbox = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public WebSocket Socket { get; } = socket;

    public string? UserId { get; set; }

    /// <summary>Calls in which this page answered a leg (hung up when the page goes away).</summary>
    public ConcurrentDictionary<string, byte> Answered { get; } = new(StringComparer.Ordinal);

    public WebSocketCloseStatus CloseStatus { get; private set; } = WebSocketCloseStatus.NormalClosure;

    public string CloseReason { get; private set; } = "bye";

    public void Send(JsonObject frame) => _outbox.Writer.TryWrite(frame.ToJsonString());

    public void Close(WebSocketCloseStatus status, string reason)
    {
        CloseStatus = status;
        CloseReason = reason;
        _outbox.Writer.TryComplete();
    }

    public void Complete() => _outbox.Writer.TryComplete();

    public async Task RunWriterAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var text in _outbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The page went away; the reader notices too.
        }
    }
}
