using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CartCall.LocalCloud.Acs;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>
/// The stand-in's calling WebSocket, driven as a page would drive it: sign-in with the voip token the Identity API
/// issued, ringing, answer, SDP/ICE relay between two browser legs (loopback candidates only), mute, hang-up, and
/// the signed callbacks the app sees for each step, exactly as for a scripted party.
/// </summary>
public sealed class AcsBrowserSignalingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Page_WithAForgedOrMissingToken_IsClosedWith4401_AndAValidOneIsSignedIn()
    {
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        await using var other = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        var (_, foreignToken) = await CreateUserAsync(other);

        foreach (var first in new[] { """{"type":"hello"}""", JsonSerializer.Serialize(new { type = "auth", token = foreignToken }), """{"type":"auth","token":"x.y.z"}""" })
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(standIn.SignalingUri, CancellationToken.None);
            await socket.SendAsync(Encoding.UTF8.GetBytes(first), WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var result = await socket.ReceiveAsync(buffer, new CancellationTokenSource(Wait).Token);
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
            Assert.Equal(4401, (int)socket.CloseStatus!);
        }

        var (userId, token) = await CreateUserAsync(standIn);
        await using var page = await SignalingPage.SignInAsync(standIn, token);
        Assert.Equal(userId, page.UserId);
        Assert.Equal(1, standIn.SignedInPages);
    }

    [Fact]
    public async Task CallToABrowserUser_RingsItsPage_AndAnsweringThere_ConnectsTheCallForTheApp()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions { IssuedUserParty = PartyScript.InBrowser() }, CancellationToken.None);
        var (shopper, token) = await CreateUserAsync(standIn);
        await using var page = await SignalingPage.SignInAsync(standIn, token);

        var callId = await CreateCallAsync(standIn, shopper, hook.Url, "call-1");
        var incoming = await page.NextAsync("incoming");
        Assert.Equal(callId, incoming["callId"]!.GetValue<string>());
        Assert.Equal("call-1", incoming["operationContext"]!.GetValue<string>());
        Assert.Equal("target", incoming["role"]!.GetValue<string>());
        Assert.False(await hook.WaitForAsync(b => b.Contains("CallConnected", StringComparison.Ordinal), TimeSpan.FromMilliseconds(500)));

        await page.SendAsync(new { type = "answer", callId });
        await page.NextAsync("connected");
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CallConnected", StringComparison.Ordinal), Wait));
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.ParticipantsUpdated", StringComparison.Ordinal) && b.Contains(shopper, StringComparison.Ordinal), Wait));
        Assert.Equal("connected", standIn.Calls.Single().State);
    }

    [Fact]
    public async Task PageSigningInWhileItsCallRings_IsRungThen_AndAPageThatNeverAnswersTimesOutAs408()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await AcsStandIn.StartAsync(
            new AcsStandInOptions { IssuedUserParty = PartyScript.InBrowser(), RingTimeout = TimeSpan.FromSeconds(2) }, CancellationToken.None);
        var (shopper, token) = await CreateUserAsync(standIn);

        var callId = await CreateCallAsync(standIn, shopper, hook.Url, "late");
        await using var page = await SignalingPage.SignInAsync(standIn, token);
        Assert.Equal(callId, (await page.NextAsync("incoming"))["callId"]!.GetValue<string>());

        var ended = await page.NextAsync("ended");
        Assert.Equal("no answer", ended["reason"]!.GetValue<string>());
        Assert.True(await hook.WaitForAsync(b => b.Contains("CreateCallFailed", StringComparison.Ordinal) && b.Contains("408", StringComparison.Ordinal), Wait));
        Assert.Equal("disconnected", standIn.Calls.Single().State);
    }

    [Fact]
    public async Task ShopperAndAgentPages_GetPaired_SdpIsRelayed_OnlyLoopbackIceIsRelayed_AndHangUpEndsBoth()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        var (shopper, shopperToken) = await CreateUserAsync(standIn);
        var (agent, agentToken) = await CreateUserAsync(standIn);
        // Named scripts: the shopper and this agent answer in their pages; other users keep the default script.
        standIn.Parties[shopper] = PartyScript.InBrowser();
        standIn.Parties[agent] = PartyScript.InBrowser();
        await using var shopperPage = await SignalingPage.SignInAsync(standIn, shopperToken);
        await using var agentPage = await SignalingPage.SignInAsync(standIn, agentToken);

        var callId = await CreateCallAsync(standIn, shopper, hook.Url, "c-2");
        await shopperPage.NextAsync("incoming");
        await shopperPage.SendAsync(new { type = "answer", callId });
        await shopperPage.NextAsync("connected");

        await AddParticipantAsync(standIn, callId, agent, "c-2|agent.1");
        var ring = await agentPage.NextAsync("incoming");
        Assert.Equal("added", ring["role"]!.GetValue<string>());
        Assert.Equal(shopper, ring["with"]!.GetValue<string>());
        await agentPage.SendAsync(new { type = "answer", callId });
        await agentPage.NextAsync("connected");
        var agentPeer = await agentPage.NextAsync("peer");
        var shopperPeer = await shopperPage.NextAsync("peer");
        Assert.True(agentPeer["offerer"]!.GetValue<bool>());
        Assert.Equal(shopper, agentPeer["peer"]!.GetValue<string>());
        Assert.False(shopperPeer["offerer"]!.GetValue<bool>());
        Assert.True(await hook.WaitForAsync(b => b.Contains("AddParticipantSucceeded", StringComparison.Ordinal) && b.Contains("c-2|agent.1", StringComparison.Ordinal), Wait));

        await agentPage.SendAsync(new { type = "sdp", callId, description = new { type = "offer", sdp = "v=0 offer" } });
        Assert.Equal("v=0 offer", (await shopperPage.NextAsync("sdp"))["description"]!["sdp"]!.GetValue<string>());
        await shopperPage.SendAsync(new { type = "sdp", callId, description = new { type = "answer", sdp = "v=0 answer" } });
        Assert.Equal("answer", (await agentPage.NextAsync("sdp"))["description"]!["type"]!.GetValue<string>());

        // A candidate on the machine's network address is dropped; the loopback one goes through.
        await agentPage.SendAsync(new { type = "ice", callId, candidate = new { candidate = "candidate:1 1 udp 2122260223 10.1.2.3 50000 typ host generation 0", sdpMid = "0", sdpMLineIndex = 0 } });
        await agentPage.SendAsync(new { type = "ice", callId, candidate = new { candidate = "candidate:2 1 udp 2122260223 127.0.0.1 50001 typ host generation 0", sdpMid = "0", sdpMLineIndex = 0 } });
        var relayed = await shopperPage.NextAsync("ice");
        Assert.Contains("127.0.0.1 50001", relayed["candidate"]!["candidate"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(standIn.Calls.Single().Timeline, t => t.Text.Contains("dropped a non-loopback ICE candidate", StringComparison.Ordinal));

        // Mute is reported to the app the way ACS reports it: a ParticipantsUpdated with isMuted.
        await shopperPage.SendAsync(new { type = "mute", callId, muted = true });
        Assert.True(await hook.WaitForAsync(b => b.Contains("ParticipantsUpdated", StringComparison.Ordinal) && b.Contains("\"isMuted\":true", StringComparison.Ordinal), Wait));
        Assert.True(standIn.Calls.Single().Parties.Single(p => p.RawId == shopper).Muted);

        // The agent hangs up: the shopper's page learns its peer left; the app (here: the test) then ends the call.
        await agentPage.SendAsync(new { type = "hangup", callId });
        Assert.Equal("hung up", (await agentPage.NextAsync("ended"))["reason"]!.GetValue<string>());
        await shopperPage.NextAsync("peer-left");
        await HangUpForEveryoneAsync(standIn, callId);
        Assert.Equal("call ended", (await shopperPage.NextAsync("ended"))["reason"]!.GetValue<string>());
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CallDisconnected", StringComparison.Ordinal), Wait));
        Assert.Null(shopperPage.Unexpected);
        Assert.Null(agentPage.Unexpected);
    }

    [Fact]
    public async Task ClosingThePage_HangsUpTheLegItAnswered_AndScriptedPartiesStillAnswerThemselves()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions { IssuedUserParty = PartyScript.InBrowser() }, CancellationToken.None);
        var (shopper, token) = await CreateUserAsync(standIn);
        var page = await SignalingPage.SignInAsync(standIn, token);
        var callId = await CreateCallAsync(standIn, shopper, hook.Url, "close");
        await page.NextAsync("incoming");
        await page.SendAsync(new { type = "answer", callId });
        await page.NextAsync("connected");

        // A phone agent, scripted as before: answers by itself in a call whose shopper is in a browser.
        await AddParticipantAsync(standIn, callId, null, "close|agent.1", phone: "+14255550199");
        Assert.True(await hook.WaitForAsync(b => b.Contains("AddParticipantSucceeded", StringComparison.Ordinal), Wait));

        await page.DisposeAsync();
        Assert.True(await hook.WaitForAsync(b => b.Contains("ParticipantsUpdated", StringComparison.Ordinal) && !b.Contains(shopper, StringComparison.Ordinal), Wait));
        var call = standIn.Calls.Single();
        Assert.Equal(PartyState.Left, call.Parties.Single(p => p.RawId == shopper).State);
        Assert.Contains(call.Timeline, t => t.Text.EndsWith("hung up", StringComparison.Ordinal));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static async Task<(string UserId, string Token)> CreateUserAsync(AcsStandIn standIn)
    {
        using var http = new HttpClient();
        using var request = new TestHmacSigner(standIn.AccessKey).Sign(
            HttpMethod.Post, new Uri(standIn.Endpoint, "identities?api-version=2023-10-01"), Encoding.UTF8.GetBytes("""{"createTokenWithScopes":["voip"]}"""));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("identity").GetProperty("id").GetString()!, json.GetProperty("accessToken").GetProperty("token").GetString()!);
    }

    private static async Task<string> CreateCallAsync(AcsStandIn standIn, string userId, Uri callback, string context)
    {
        var body = new JsonObject
        {
            ["targets"] = new JsonArray(new JsonObject { ["kind"] = "communicationUser", ["rawId"] = userId, ["communicationUser"] = new JsonObject { ["id"] = userId } }),
            ["callbackUri"] = callback.AbsoluteUri,
            ["operationContext"] = context,
            ["sourceDisplayName"] = "Brew & Bean",
        };
        var json = await SendAsync(standIn, HttpMethod.Post, "calling/callConnections?api-version=2026-03-12", body);
        return json!.Value.GetProperty("callConnectionId").GetString()!;
    }

    private static async Task AddParticipantAsync(AcsStandIn standIn, string callId, string? userId, string context, string? phone = null)
    {
        var who = phone is null
            ? new JsonObject { ["kind"] = "communicationUser", ["rawId"] = userId, ["communicationUser"] = new JsonObject { ["id"] = userId } }
            : new JsonObject { ["kind"] = "phoneNumber", ["rawId"] = "4:" + phone, ["phoneNumber"] = new JsonObject { ["value"] = phone } };
        var body = new JsonObject { ["participantToAdd"] = who, ["invitationTimeoutInSeconds"] = 10, ["operationContext"] = context };
        if (phone is not null) body["sourceCallerIdNumber"] = new JsonObject { ["value"] = "+14255550100" };
        await SendAsync(standIn, HttpMethod.Post, $"calling/callConnections/{callId}/participants:add?api-version=2026-03-12", body);
    }

    private static Task HangUpForEveryoneAsync(AcsStandIn standIn, string callId) =>
        SendAsync(standIn, HttpMethod.Post, $"calling/callConnections/{callId}:terminate?api-version=2026-03-12", null);

    private static async Task<JsonElement?> SendAsync(AcsStandIn standIn, HttpMethod method, string path, JsonObject? body)
    {
        using var http = new HttpClient();
        using var request = new TestHmacSigner(standIn.AccessKey).Sign(method, new Uri(standIn.Endpoint, path), body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString()));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} -> {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A page's side of the calling WebSocket: frames received are queued and taken by type.</summary>
    private sealed class SignalingPage : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly Channel<JsonObject> _frames = Channel.CreateUnbounded<JsonObject>();
        private readonly CancellationTokenSource _stop = new();
        private Task _reader = Task.CompletedTask;

        public string UserId { get; private set; } = "";

        /// <summary>An error frame the stand-in sent, if any.</summary>
        public string? Unexpected { get; private set; }

        public static async Task<SignalingPage> SignInAsync(AcsStandIn standIn, string token)
        {
            var page = new SignalingPage();
            await page._socket.ConnectAsync(standIn.SignalingUri, CancellationToken.None);
            page._reader = page.ReadAsync();
            await page.SendAsync(new { type = "auth", token });
            page.UserId = (await page.NextAsync("ready"))["userId"]!.GetValue<string>();
            return page;
        }

        public Task SendAsync(object frame) =>
            _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

        /// <summary>The next frame of <paramref name="type"/>; frames of other types before it are skipped.</summary>
        public async Task<JsonObject> NextAsync(string type)
        {
            using var timeout = new CancellationTokenSource(Wait);
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(timeout.Token);
                if (frame["type"]?.GetValue<string>() == type) return frame;
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (true)
                {
                    using var message = new MemoryStream();
                    WebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer, _stop.Token);
                        if (result.MessageType == WebSocketMessageType.Close) return;
                        message.Write(buffer, 0, result.Count);
                    }
                    while (!result.EndOfMessage);
                    var frame = JsonNode.Parse(message.ToArray())!.AsObject();
                    if (frame["type"]?.GetValue<string>() == "error") Unexpected ??= frame["message"]?.GetValue<string>();
                    await _frames.Writer.WriteAsync(frame);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // Closed.
            }
            finally
            {
                _frames.Writer.TryComplete();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                    // Already gone.
                }
            }

            await _stop.CancelAsync();
            await _reader;
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
