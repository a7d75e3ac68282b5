using CartCall.Testing;
using System.Buffers.Text;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.LocalCloud.WebPubSub;

namespace CartCall.Functions.Tests.Adapters.WebPubSub;

/// <summary>The app's <see cref="WebPubSubRestClient"/> against the local Web PubSub stand-in, over real sockets.</summary>
public sealed class WebPubSubRestClientTests : IAsyncLifetime
{
    private const string Hub = "cartcall";
    private const string JsonSubprotocol = "json.webpubsub.azure.v1";
    private WebPubSubStandIn _standIn = null!;
    private WebPubSubRestClient _client = null!;

    public async Task InitializeAsync()
    {
        _standIn = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        _client = NewClient(_standIn.ConnectionString, Hub, TimeProvider.System);
    }

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    [Fact]
    public async Task SendToUserAsync_ReachesJsonSubprotocolSocketOpenedWithClientAccessUri()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("shopper-42", [], [], TimeSpan.FromMinutes(10)));
        var connected = await ReceiveJsonAsync(socket);
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        Assert.Equal("shopper-42", connected.GetProperty("userId").GetString());

        var response = await _client.SendToUserAsync("shopper-42", BinaryData.FromString("""{"offer":"call-now","score":0.87}"""), CancellationToken.None);

        Assert.Equal(202, response.Status);
        var message = await ReceiveJsonAsync(socket);
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("server", message.GetProperty("from").GetString());
        Assert.Equal("json", message.GetProperty("dataType").GetString());
        Assert.Equal("call-now", message.GetProperty("data").GetProperty("offer").GetString());
        Assert.Equal(0.87, message.GetProperty("data").GetProperty("score").GetDouble());
    }

    [Fact]
    public async Task SendToUserAsync_UserIdNeedingEscaping_StillSignsAndDelivers()
    {
        const string userId = "shop/1 user+é";
        using var socket = await ConnectAsync(_client.GetClientAccessUri(userId, [], [], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        await _client.SendToUserAsync(userId, BinaryData.FromString("""{"n":1}"""), CancellationToken.None);

        Assert.Equal(1, (await ReceiveJsonAsync(socket)).GetProperty("data").GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task GetClientAccessUri_FromClientWithWrongKey_IsRefusedWith401()
    {
        var forger = NewClient($"Endpoint={_standIn.Endpoint.GetLeftPart(UriPartial.Authority)};AccessKey=not-the-key;Version=1.0;", Hub, TimeProvider.System);
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        socket.Options.AddSubProtocol(JsonSubprotocol);

        await Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(forger.GetClientAccessUri("mallory", [], [], TimeSpan.FromMinutes(5)), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task SendToUserAsync_WithWrongKey_FailsWith401()
    {
        var forger = NewClient($"Endpoint={_standIn.Endpoint.GetLeftPart(UriPartial.Authority)};AccessKey=not-the-key;Version=1.0;", Hub, TimeProvider.System);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            forger.SendToUserAsync("u", BinaryData.FromString("{}"), CancellationToken.None));

        Assert.Equal(401, error.Status);
        Assert.Equal("Unauthorized", error.ErrorCode);
    }

    [Fact]
    public async Task SendToUserAsync_WhenClockIsAnHourBehind_TokenHasExpiredAndIs401()
    {
        var late = NewClient(_standIn.ConnectionString, Hub, new FixedTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            late.SendToUserAsync("u", BinaryData.FromString("{}"), CancellationToken.None));

        Assert.Equal(401, error.Status);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RestCall_WithoutBearer_Returns401()
    {
        using var http = new HttpClient();
        var url = new Uri($"{_standIn.Endpoint.GetLeftPart(UriPartial.Authority)}/api/hubs/{Hub}/users/u/:send?api-version=2024-12-01");

        using var response = await http.PostAsync(url, new StringContent("{}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Unauthorized", response.Headers.GetValues("x-ms-error-code").Single());
    }

    [Fact]
    public async Task SendToUserAsync_WithInvalidHubName_FailsWith400()
    {
        // Options validation would stop this at start-up; the service's own check is what is under test here.
        var client = NewClient(_standIn.ConnectionString, "bad-hub!", TimeProvider.System);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.SendToUserAsync("u", BinaryData.FromString("{}"), CancellationToken.None));

        Assert.Equal(400, error.Status);
        Assert.Equal("InvalidHubName", error.ErrorCode);
    }

    [Fact]
    public async Task AddUserToGroupAsync_ThenSendToGroupAsync_ReachesTheUsersSocket()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("agent-9", [], [], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        await _client.AddUserToGroupAsync("agents", "agent-9", CancellationToken.None);
        await _client.SendToGroupAsync("agents", BinaryData.FromString("""{"queue":"sales"}"""), CancellationToken.None);

        Assert.Equal("sales", (await ReceiveJsonAsync(socket)).GetProperty("data").GetProperty("queue").GetString());
    }

    [Fact]
    public async Task RemoveUserFromGroupAsync_StopsGroupMessages()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("agent-3", ["agents"], [], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        await _client.RemoveUserFromGroupAsync("agents", "agent-3", CancellationToken.None);
        await _client.SendToGroupAsync("agents", BinaryData.FromString("""{"n":"group"}"""), CancellationToken.None);
        await _client.SendToUserAsync("agent-3", BinaryData.FromString("""{"n":"user"}"""), CancellationToken.None);

        // Frames to one connection are ordered, so the first one to arrive shows the group message was not delivered.
        Assert.Equal("user", (await ReceiveJsonAsync(socket)).GetProperty("data").GetProperty("n").GetString());
    }

    [Fact]
    public async Task GetClientAccessUri_GroupsAndRoles_JoinOnConnectAndAllowClientGroupSends()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("shopper-5", ["cart-abc"], ["webpubsub.sendToGroup.cart-abc"], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        await _client.SendToGroupAsync("cart-abc", BinaryData.FromString("""{"from":"server"}"""), CancellationToken.None);
        Assert.Equal("server", (await ReceiveJsonAsync(socket)).GetProperty("data").GetProperty("from").GetString());

        await SendTextAsync(socket, """{"type":"sendToGroup","group":"cart-abc","ackId":7,"dataType":"json","data":{"from":"client"}}""");
        var frames = new[] { await ReceiveJsonAsync(socket), await ReceiveJsonAsync(socket) };
        Assert.Contains(frames, f => f.GetProperty("type").GetString() == "ack" && f.GetProperty("success").GetBoolean());
        Assert.Contains(frames, f => f.GetProperty("type").GetString() == "message" && f.GetProperty("fromUserId").GetString() == "shopper-5");
    }

    [Fact]
    public async Task UserExistsAsync_TrueWhileConnected_FalseOtherwise()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("present", [], [], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        Assert.True(await _client.UserExistsAsync("present", CancellationToken.None));
        Assert.False(await _client.UserExistsAsync("absent", CancellationToken.None));
    }

    [Fact]
    public async Task CloseUserConnectionsAsync_DisconnectsTheUser()
    {
        using var socket = await ConnectAsync(_client.GetClientAccessUri("leaving", [], [], TimeSpan.FromMinutes(10)));
        await ReceiveJsonAsync(socket);

        await _client.CloseUserConnectionsAsync("leaving", "session ended", CancellationToken.None);

        var disconnected = await ReceiveJsonAsync(socket);
        Assert.Equal("disconnected", disconnected.GetProperty("event").GetString());
        Assert.Equal("session ended", disconnected.GetProperty("message").GetString());
    }

    [Fact]
    public void GetClientAccessUri_TokenCarriesAudienceUserRolesGroupsAndLifetime()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var client = NewClient("Endpoint=https://shop.webpubsub.azure.com;AccessKey=k;Version=1.0;", Hub, new FixedTimeProvider(now));

        var uri = client.GetClientAccessUri("u1", ["g1", "g2"], ["webpubsub.sendToGroup.g1"], TimeSpan.FromMinutes(30));

        Assert.Equal("wss", uri.Scheme);
        Assert.Equal("/client/hubs/cartcall", uri.AbsolutePath);
        var token = Uri.UnescapeDataString(uri.Query["?access_token=".Length..]);
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1]));
        var claims = payload.RootElement;
        Assert.Equal("https://shop.webpubsub.azure.com/client/hubs/cartcall", claims.GetProperty("aud").GetString());
        Assert.Equal("u1", claims.GetProperty("sub").GetString());
        Assert.Equal(["webpubsub.sendToGroup.g1"], claims.GetProperty("role").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["g1", "g2"], claims.GetProperty("webpubsub.group").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(now.AddMinutes(30).ToUnixTimeSeconds(), claims.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task GetClientAccessUri_TokenVerifiesWithTheNpmSdksJwtLibraryAndMatchesTheSdksClaims()
    {
        var uri = _client.GetClientAccessUri("shopper-1", ["offers"], ["webpubsub.joinLeaveGroup.offers"], TimeSpan.FromMinutes(10));
        var token = Uri.UnescapeDataString(uri.Query["?access_token=".Length..]);

        var run = await NodeScript.RunAsync(Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "WebPubSub", "node", "token-interop.mjs"), new Dictionary<string, string>
        {
            ["WPS_CONNECTION_STRING"] = _standIn.ConnectionString,
            ["WPS_HUB"] = Hub,
            ["WPS_ACCESS_KEY"] = _standIn.AccessKey,
            ["WPS_TOKEN"] = token,
            ["WPS_USER"] = "shopper-1",
            ["WPS_ROLES"] = "webpubsub.joinLeaveGroup.offers",
            ["WPS_GROUPS"] = "offers",
        }, TimeSpan.FromSeconds(60), CancellationToken.None);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.LastJsonLine();
        Assert.True(json.GetProperty("verified").GetBoolean(), run.ToString());
        var ours = json.GetProperty("ours");
        var sdk = json.GetProperty("sdk");
        foreach (var claim in new[] { "aud", "sub" })
        {
            Assert.Equal(sdk.GetProperty(claim).GetString(), ours.GetProperty(claim).GetString());
        }

        foreach (var claim in new[] { "role", "webpubsub.group" })
        {
            Assert.Equal(sdk.GetProperty(claim).GetRawText(), ours.GetProperty(claim).GetRawText());
        }

        Assert.Equal(uri.GetLeftPart(UriPartial.Path), json.GetProperty("sdkUrl").GetString()!.Split('?')[0]);
    }

    private static WebPubSubRestClient NewClient(string connectionString, string hub, TimeProvider time) =>
        new(new WebPubSubOptions { ConnectionString = connectionString, Hub = hub }, time,
            new WebPubSubRestClientOptions { Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(50) } });

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(JsonSubprotocol);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    private static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonElement> ReceiveJsonAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, timeout.Token);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
