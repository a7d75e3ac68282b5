using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using CartCall.LocalCloud.WebPubSub;
using Microsoft.IdentityModel.Tokens;

namespace CartCall.LocalCloud.Tests.WebPubSub;

/// <summary>The stand-in's wire contract checked with plain HTTP and WebSockets; tokens come from System.IdentityModel, not the stand-in.</summary>
public sealed class WebPubSubStandInWireTests : IAsyncLifetime
{
    private const string Hub = "cartcall";
    private const string ApiVersion = "2024-12-01";
    private WebPubSubStandIn _standIn = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync() =>
        _standIn = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { AccessKey = "test-access-key-0123456789abcdef" }, CancellationToken.None);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    [Fact]
    public async Task Rest_WithoutBearer_Returns401ProblemWithErrorCode()
    {
        using var response = await _http.PostAsync(RestUrl("/:send"), Json("""{"a":1}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Unauthorized", response.Headers.GetValues("x-ms-error-code").Single());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("Bearer", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_TokenSignedWithWrongKey_Returns401()
    {
        var url = RestUrl("/:send");
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), Token(url.AbsoluteUri, key: "some-other-key-0123456789abcdefgh"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("signature", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_TokenForAnotherUrl_Returns401()
    {
        var url = RestUrl("/users/u1/:send");
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), Token(RestUrl("/users/u2/:send").AbsoluteUri));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("audience", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_ExpiredToken_Returns401()
    {
        var url = RestUrl("/:send");
        var token = Token(url.AbsoluteUri, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20));
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Rest_AudienceWithOrWithoutQuery_IsAccepted(bool withQuery)
    {
        var url = RestUrl("/:send");
        var audience = withQuery ? url.AbsoluteUri : url.GetLeftPart(UriPartial.Path);
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), Token(audience));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("1hub")]
    [InlineData("hub-with-dash")]
    public async Task Rest_InvalidHubName_Returns400Problem(string hub)
    {
        var url = new Uri($"{_standIn.Endpoint.GetLeftPart(UriPartial.Authority)}/api/hubs/{hub}/:send?api-version={ApiVersion}");
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), Token(url.AbsoluteUri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidHubName", response.Headers.GetValues("x-ms-error-code").Single());
    }

    [Fact]
    public async Task Rest_WithoutApiVersion_Returns400()
    {
        var url = new Uri($"{_standIn.Endpoint.GetLeftPart(UriPartial.Authority)}/api/hubs/{Hub}/:send");
        using var response = await SendAsync(HttpMethod.Post, url, Json("{}"), Token(url.AbsoluteUri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("api-version", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rest_UnsupportedContentType_Returns415()
    {
        var url = RestUrl("/:send");
        using var response = await SendAsync(HttpMethod.Post, url, new StringContent("<x/>", Encoding.UTF8, "application/xml"), Token(url.AbsoluteUri));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Rest_JsonContentTypeWithInvalidBody_Returns400()
    {
        var url = RestUrl("/:send");
        using var response = await SendAsync(HttpMethod.Post, url, Json("{not json"), Token(url.AbsoluteUri));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidJson", response.Headers.GetValues("x-ms-error-code").Single());
    }

    [Fact]
    public async Task Rest_UnknownPath_Returns404Problem()
    {
        var url = RestUrl("/nothing/here");
        using var response = await SendAsync(HttpMethod.Get, url, null, Token(url.AbsoluteUri));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Client_TokenSignedWithWrongKey_IsRefusedWith401BeforeUpgrade()
    {
        var token = Token($"{Authority}/client/hubs/{Hub}", key: "some-other-key-0123456789abcdefgh", userId: "u1");
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ClientUrl(token), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Client_TokenForAnotherHub_IsRefusedWith401()
    {
        var token = Token($"{Authority}/client/hubs/otherhub", userId: "u1");
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(ClientUrl(token), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Client_JsonSubprotocol_GetsConnectedFrameThenTypedServerMessages()
    {
        using var socket = await ConnectAsync("shopper-7", StandInRequestHandler.JsonSubprotocol);
        var connected = await ReceiveJsonAsync(socket);
        Assert.Equal("system", connected.GetProperty("type").GetString());
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        Assert.Equal("shopper-7", connected.GetProperty("userId").GetString());
        var connectionId = connected.GetProperty("connectionId").GetString()!;

        Assert.Equal(HttpStatusCode.Accepted, (await RestAsync(HttpMethod.Post, "/users/shopper-7/:send", Json("""{"offer":42}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await RestAsync(HttpMethod.Post, $"/connections/{connectionId}/:send", new StringContent("hi", Encoding.UTF8, "text/plain"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await RestAsync(HttpMethod.Post, "/:send", Bytes([9, 8, 7]))).StatusCode);

        var json = await ReceiveJsonAsync(socket);
        Assert.Equal("message", json.GetProperty("type").GetString());
        Assert.Equal("server", json.GetProperty("from").GetString());
        Assert.Equal("json", json.GetProperty("dataType").GetString());
        Assert.Equal(42, json.GetProperty("data").GetProperty("offer").GetInt32());
        var text = await ReceiveJsonAsync(socket);
        Assert.Equal("text", text.GetProperty("dataType").GetString());
        Assert.Equal("hi", text.GetProperty("data").GetString());
        var binary = await ReceiveJsonAsync(socket);
        Assert.Equal("binary", binary.GetProperty("dataType").GetString());
        Assert.Equal(Convert.ToBase64String([9, 8, 7]), binary.GetProperty("data").GetString());
    }

    [Fact]
    public async Task Client_WithoutSubprotocol_ReceivesRawMessages()
    {
        using var socket = await ConnectAsync("plain-user", subprotocol: null);

        await RestAsync(HttpMethod.Post, "/users/plain-user/:send", Json("""{"raw":true}"""));
        await RestAsync(HttpMethod.Post, "/users/plain-user/:send", Bytes([1, 2]));

        var (type1, data1) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type1);
        Assert.Equal("""{"raw":true}""", Encoding.UTF8.GetString(data1));
        var (type2, data2) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Binary, type2);
        Assert.Equal([1, 2], data2);
    }

    [Fact]
    public async Task Client_JoinGroupWithoutPermission_IsAckedForbidden_AndRepeatedAckIdIsDuplicate()
    {
        using var socket = await ConnectAsync("no-roles", StandInRequestHandler.JsonSubprotocol);
        await ReceiveJsonAsync(socket); // connected

        await SendTextAsync(socket, """{"type":"joinGroup","group":"offers","ackId":1}""");
        var denied = await ReceiveJsonAsync(socket);
        await SendTextAsync(socket, """{"type":"joinGroup","group":"offers","ackId":1}""");
        var duplicate = await ReceiveJsonAsync(socket);

        Assert.Equal("ack", denied.GetProperty("type").GetString());
        Assert.False(denied.GetProperty("success").GetBoolean());
        Assert.Equal("Forbidden", denied.GetProperty("error").GetProperty("name").GetString());
        Assert.Equal("Duplicate", duplicate.GetProperty("error").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Client_JoinGroupWithRole_ReceivesGroupSendsFromRest()
    {
        using var socket = await ConnectAsync("member", StandInRequestHandler.JsonSubprotocol, roles: ["webpubsub.joinLeaveGroup.offers"]);
        await ReceiveJsonAsync(socket);

        await SendTextAsync(socket, """{"type":"joinGroup","group":"offers","ackId":5}""");
        var ack = await ReceiveJsonAsync(socket);
        Assert.True(ack.GetProperty("success").GetBoolean());
        Assert.Equal(5, ack.GetProperty("ackId").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await RestAsync(HttpMethod.Head, "/groups/offers", null)).StatusCode);
        await RestAsync(HttpMethod.Post, "/groups/offers/:send", Json("""{"to":"offers"}"""));
        var message = await ReceiveJsonAsync(socket);
        Assert.Equal("offers", message.GetProperty("data").GetProperty("to").GetString());
    }

    [Fact]
    public async Task Rest_UserExists_Is200WhileConnectedAnd404Otherwise()
    {
        using var socket = await ConnectAsync("present", StandInRequestHandler.JsonSubprotocol);
        await ReceiveJsonAsync(socket);

        Assert.Equal(HttpStatusCode.OK, (await RestAsync(HttpMethod.Head, "/users/present", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await RestAsync(HttpMethod.Head, "/users/absent", null)).StatusCode);
    }

    [Fact]
    public async Task Rest_CloseConnection_SendsDisconnectedFrameAndClosesSocket()
    {
        using var socket = await ConnectAsync("closing", StandInRequestHandler.JsonSubprotocol);
        var connectionId = (await ReceiveJsonAsync(socket)).GetProperty("connectionId").GetString();

        Assert.Equal(HttpStatusCode.NoContent, (await RestAsync(HttpMethod.Delete, $"/connections/{connectionId}", null, "&reason=bye")).StatusCode);

        var disconnected = await ReceiveJsonAsync(socket);
        Assert.Equal("disconnected", disconnected.GetProperty("event").GetString());
        Assert.Equal("bye", disconnected.GetProperty("message").GetString());
        var (type, _) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Close, type);
    }

    [Fact]
    public async Task Rest_GenerateToken_IssuesATokenTheClientEndpointAccepts()
    {
        using var response = await RestAsync(HttpMethod.Post, "/:generateToken", null, "&userId=minted&role=webpubsub.sendToGroup");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString()!;

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(StandInRequestHandler.JsonSubprotocol);
        await socket.ConnectAsync(ClientUrl(token), CancellationToken.None);
        Assert.Equal("minted", (await ReceiveJsonAsync(socket)).GetProperty("userId").GetString());
    }

    [Fact]
    public async Task Rest_GenerateTokenWithoutBearer_Returns401()
    {
        using var response = await _http.PostAsync(RestUrl("/:generateToken", "&userId=u"), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task StandInLog_ListsMessagesToAbsentUsersAsDropped()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await RestAsync(HttpMethod.Post, "/users/ghost/:send", Json("""{"for":"ghost"}"""))).StatusCode);

        var log = await _http.GetStringAsync(new Uri(_standIn.Endpoint, "/_standin/log"));
        using var entries = JsonDocument.Parse(log);
        Assert.Contains(entries.RootElement.EnumerateArray(), e =>
            e.GetProperty("kind").GetString() == "dropped" && e.GetProperty("target").GetString() == "user:ghost"
            && e.GetProperty("data").GetString() == """{"for":"ghost"}""");
    }

    private string Authority => _standIn.Endpoint.GetLeftPart(UriPartial.Authority);

    private Uri RestUrl(string path, string extraQuery = "") => new($"{Authority}/api/hubs/{Hub}{path}?api-version={ApiVersion}{extraQuery}");

    private Uri ClientUrl(string token) => new($"ws://127.0.0.1:{_standIn.Endpoint.Port}/client/hubs/{Hub}?access_token={Uri.EscapeDataString(token)}");

    private string Token(string audience, string? key = null, string? userId = null, IEnumerable<string>? roles = null, DateTime? expires = null, DateTime? notBefore = null)
    {
        var claims = new List<Claim>();
        if (userId is not null)
        {
            claims.Add(new Claim("sub", userId));
        }

        claims.AddRange((roles ?? []).Select(r => new Claim("role", r)));
        var credentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key ?? _standIn.AccessKey)), SecurityAlgorithms.HmacSha256);
        var jwt = new JwtSecurityToken(audience: audience, claims: claims, notBefore: notBefore ?? DateTime.UtcNow.AddSeconds(-5),
            expires: expires ?? DateTime.UtcNow.AddMinutes(5), signingCredentials: credentials);
        return new JwtSecurityTokenHandler().WriteToken(jwt);
    }

    private async Task<HttpResponseMessage> RestAsync(HttpMethod method, string path, HttpContent? content, string extraQuery = "")
    {
        var url = RestUrl(path, extraQuery);
        return await SendAsync(method, url, content, Token(url.AbsoluteUri));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, HttpContent? content, string token)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request);
    }

    private async Task<ClientWebSocket> ConnectAsync(string userId, string? subprotocol, IEnumerable<string>? roles = null)
    {
        var socket = new ClientWebSocket();
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(ClientUrl(Token($"{Authority}/client/hubs/{Hub}", userId: userId, roles: roles)), timeout.Token);
        Assert.Equal(subprotocol, socket.SubProtocol);
        return socket;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static ByteArrayContent Bytes(byte[] data)
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonElement> ReceiveJsonAsync(WebSocket socket)
    {
        var (type, data) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        using var document = JsonDocument.Parse(data);
        return document.RootElement.Clone();
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(WebSocket socket)
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

        return (result.MessageType, buffer.ToArray());
    }
}
