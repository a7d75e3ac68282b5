using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Offers;
using CartCall.LocalCloud.Acs;
using CartCall.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Browser.Tests.Calling;

/// <summary>
/// The app's side of a browser call, in a few dozen lines, so these tests need neither the app nor its hosting: the
/// widget's endpoints (one offer per session worded by the app's own <see cref="OfferTexts"/>, preferences, accept),
/// the repo's widget files, test pages, and a receiver for the ACS stand-in's callbacks that does what the app's call
/// flow does: on CallConnected add the agent; when shopper or agent leaves the conversation, end it for everyone.
/// Pages are served at <c>http://localhost:{port}</c> (the Calling SDK refuses 127.0.0.1 origins).
/// </summary>
public sealed class StubCartCallApp : IAsyncDisposable
{
    public const string MerchantId = "m-voice";
    public const string PublishableKey = "pk_test_voice";

    private readonly WebApplication _app;
    private readonly AcsStandIn _acs;
    private readonly ConcurrentDictionary<string, OfferState> _offers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StubCall> _calls = new(StringComparer.Ordinal);

    private StubCartCallApp(WebApplication app, AcsStandIn acs)
    {
        _app = app;
        _acs = acs;
    }

    /// <summary><c>http://localhost:{port}/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The agent the call flow adds (an identity of the ACS stand-in, answering in a browser page).</summary>
    public (string UserId, string Token) Agent { get; private set; }

    /// <summary>The language the next offers are worded in (as the app would from the shopper's saved choice).</summary>
    public string OfferLanguage { get; set; } = "en";

    /// <summary>A paid call's price on the next offers, as DeliverOffer copies it from the merchant (<c>{kind, currency, amountMinor, capMinor, minimumSeconds}</c>); null: free.</summary>
    public JsonObject? OfferPrice { get; set; }

    /// <summary>False: sessions get no offer (an offer takes focus, which would disturb a test typing into the page).</summary>
    public bool MakeOffers { get; set; } = true;

    /// <summary>How long accept takes to answer (to see the widget's immediate feedback).</summary>
    public TimeSpan AcceptDelay { get; set; }

    public IReadOnlyCollection<StubCall> Calls => _calls.Values.ToArray();

    public static async Task<StubCartCallApp> StartAsync(AcsStandIn acs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Both loopbacks: the browser may try ::1 first for "localhost", and a script stuck on it holds the page's load.
        var port = Azurite.FreePort();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            if (Socket.OSSupportsIPv6) k.Listen(IPAddress.IPv6Loopback, port);
        });
        var app = builder.Build();
        var stub = new StubCartCallApp(app, acs);
        stub.Map(app);
        await app.StartAsync();
        stub.Url = new Uri($"http://localhost:{port}/");
        stub.Agent = await stub.CreateUserAsync();
        return stub;
    }

    /// <summary>The stub's call for the widget's accept, once the ACS call exists.</summary>
    public StubCall? CallFor(string callId) => _calls.GetValueOrDefault(callId);

    private void Map(WebApplication app)
    {
        // The widget on another origin (the demo store) calls with credentials, as the app's per-merchant CORS allows.
        app.Use(async (ctx, next) =>
        {
            if (ctx.Request.Headers.Origin.FirstOrDefault() is { } origin && ctx.Request.Path.StartsWithSegments("/api"))
            {
                ctx.Response.Headers.AccessControlAllowOrigin = origin;
                ctx.Response.Headers.AccessControlAllowCredentials = "true";
                if (HttpMethods.IsOptions(ctx.Request.Method))
                {
                    ctx.Response.Headers.AccessControlAllowMethods = "GET, POST, PUT";
                    ctx.Response.Headers.AccessControlAllowHeaders = "content-type, x-cartcall-publishable-key";
                    ctx.Response.StatusCode = 204;
                    return;
                }
            }

            await next(ctx);
        });
        app.UseWebSockets();
        var widget = Path.Combine(RepoPaths.Root, "functions", "widget");
        app.MapGet("/api/widget.js", () => Script(Path.Combine(widget, "cartcall.js")));
        app.MapGet("/api/widget-calling.js", () => Script(Path.Combine(widget, "cartcall-calling.js")));
        app.MapGet("/api/agent-calling.js", () => Script(Path.Combine(widget, "agent-calling.js")));
        app.MapGet("/api/widget-calling-acs.js", () => Script(Path.Combine(widget, "dist", "cartcall-calling-acs.js")));
        app.MapGet("/shop", (string? lang) => Results.Content(CallingPages.Shop(lang ?? "en"), "text/html; charset=utf-8"));
        app.MapGet("/agent", () => Results.Content(CallingPages.Agent, "text/html; charset=utf-8"));
        app.MapGet("/softphone", () => Results.Content(CallingPages.Softphone, "text/html; charset=utf-8"));
        app.MapGet("/acs-probe", () => Results.Content(CallingPages.AcsProbe, "text/html; charset=utf-8"));
        app.MapGet("/favicon.ico", () => Results.NoContent());

        // The widget's endpoints.
        app.MapPost("/api/merchants/{m}/sessions/{s}/push", (string s) =>
            Results.Json(new { url = $"ws://127.0.0.1:{Url.Port}/push?session={Uri.EscapeDataString(s)}" }));
        app.Map("/push", PushSocketAsync);
        app.MapGet("/api/merchants/{m}/sessions/{s}/offers", (string s) =>
        {
            if (!MakeOffers) return Results.Json(new { offers = Array.Empty<object>() });
            var offer = _offers.GetOrAdd(s, session => new OfferState(NewOffer(session)));
            return Results.Json(new { offers = offer.Status is "pending" or "shown" ? new[] { offer.View } : [] });
        });
        app.MapGet("/api/merchants/{m}/preferences", () => Results.NotFound());
        app.MapPut("/api/merchants/{m}/preferences", async (HttpRequest r) => Results.Json(await r.ReadFromJsonAsync<JsonObject>()));
        app.MapPost("/api/offers/{id}/shown", (string id) => Answer(id, "shown"));
        app.MapPost("/api/offers/{id}/dismiss", (string id) => Answer(id, "dismissed"));
        app.MapPost("/api/offers/{id}/accept", AcceptAsync);
        app.MapGet("/api/calls/{id}", (string id) =>
            _calls.TryGetValue(id, out var c) ? Results.Json(new { callId = id, status = c.Status, mode = "browser" }) : Results.NotFound());
        app.MapPost("/api/calls/events", CallbackAsync);
    }

    private static IResult Script(string path) =>
        File.Exists(path) ? Results.File(path, "application/javascript; charset=utf-8") : Results.NotFound();

    private JsonObject NewOffer(string sessionId)
    {
        var now = DateTimeOffset.UtcNow;
        var text = OfferTexts.For(OfferLanguage, 478m, "USD");
        return new JsonObject
        {
            ["offerId"] = "of_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionId)))[..16],
            ["merchantId"] = MerchantId,
            ["sessionId"] = sessionId,
            ["proposedAt"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["expiresAt"] = now.AddMinutes(10).ToString("O", CultureInfo.InvariantCulture),
            ["status"] = "pending",
            ["score"] = 0.8,
            ["reasons"] = new JsonArray(),
            ["cartValue"] = 478m,
            ["currency"] = "USD",
            ["text"] = JsonSerializer.SerializeToNode(text, new JsonSerializerOptions(JsonSerializerDefaults.Web)),
            ["price"] = OfferPrice?.DeepClone(),
        };
    }

    private IResult Answer(string offerId, string status)
    {
        var offer = _offers.Values.FirstOrDefault(o => o.View["offerId"]!.GetValue<string>() == offerId);
        if (offer is null) return Results.NotFound();
        if (offer.Status is "pending" or "shown") offer.Status = status;
        return Results.NoContent();
    }

    private static async Task PushSocketAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest) { ctx.Response.StatusCode = 400; return; }
        // Open is all the widget needs: on open it catches up on offers through the list endpoint.
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync("json.webpubsub.azure.v1");
        var buffer = new byte[1024];
        try
        {
            while (socket.State == WebSocketState.Open && (await socket.ReceiveAsync(buffer, ctx.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The page went away.
        }
    }

    private async Task<IResult> AcceptAsync(string id, HttpRequest request)
    {
        var body = await request.ReadFromJsonAsync<JsonObject>();
        var offer = _offers.Values.FirstOrDefault(o => o.View["offerId"]!.GetValue<string>() == id);
        if (offer is null || body is null) return Results.NotFound();
        if (AcceptDelay > TimeSpan.Zero) await Task.Delay(AcceptDelay);
        offer.Status = "accepted";
        var callId = "call_" + id;
        var mode = body["mode"]?.GetValue<string>() ?? "browser";
        if (mode != "browser")
        {
            return Results.Json(new { callId, status = "queued", mode, reason = "The shopper chose a phone call." }, statusCode: 202);
        }

        var shopper = await CreateUserAsync();
        var call = _calls.GetOrAdd(callId, _ => new StubCall(callId, shopper.UserId));
        // As the app does: answer the widget at once, place the call right after.
        _ = Task.Run(() => PlaceCallAsync(call));
        return Results.Json(
            new
            {
                callId,
                status = "queued",
                mode,
                reason = "The shopper chose the browser.",
                acsToken = new { userId = shopper.UserId, token = shopper.Token, expiresOn = DateTimeOffset.UtcNow.AddHours(1) },
                calling = new { adapter = "local", signalingUrl = _acs.SignalingUri.AbsoluteUri },
            },
            statusCode: 202);
    }

    /// <summary>Places a call to <paramref name="shopperUserId"/> as the app would (for tests that drive the pages directly).</summary>
    public async Task<StubCall> PlaceCallAsync(string shopperUserId)
    {
        var call = new StubCall("call_" + Guid.NewGuid().ToString("N")[..12], shopperUserId);
        _calls[call.CallId] = call;
        await PlaceCallAsync(call);
        return call;
    }

    private async Task PlaceCallAsync(StubCall call)
    {
        var target = new JsonObject { ["kind"] = "communicationUser", ["rawId"] = call.ShopperUserId, ["communicationUser"] = new JsonObject { ["id"] = call.ShopperUserId } };
        var reply = await AcsAsync(HttpMethod.Post, "calling/callConnections", new JsonObject
        {
            ["targets"] = new JsonArray(target),
            ["callbackUri"] = new Uri(new Uri($"http://127.0.0.1:{Url.Port}/"), $"api/calls/events?callId={call.CallId}").AbsoluteUri,
            ["operationContext"] = call.CallId,
            ["sourceDisplayName"] = "Voice test store",
        });
        call.Connection = reply!["callConnectionId"]!.GetValue<string>();
        call.Placed.TrySetResult(call.Connection);
    }

    private async Task<IResult> CallbackAsync(HttpContext ctx, string callId)
    {
        if (!_calls.TryGetValue(callId, out var call)) return Results.NotFound();
        if (ctx.Request.Headers.Authorization.FirstOrDefault()?.StartsWith("Bearer ", StringComparison.Ordinal) != true) return Results.Unauthorized();
        var events = await ctx.Request.ReadFromJsonAsync<JsonArray>() ?? [];
        foreach (var e in events.OfType<JsonObject>())
        {
            var type = e["type"]!.GetValue<string>().Replace("Microsoft.Communication.", "", StringComparison.Ordinal);
            var data = e["data"]!.AsObject();
            var connection = data["callConnectionId"]!.GetValue<string>();
            call.Events.Enqueue(type);
            switch (type)
            {
                case "CallConnected":
                    call.Status = "connected";
                    await AddAgentAsync(connection, callId);
                    break;
                case "ParticipantsUpdated":
                    var present = data["participants"]!.AsArray().Select(p => p!["identifier"]!["rawId"]!.GetValue<string>()).ToHashSet();
                    if (present.Contains(call.ShopperUserId) && present.Contains(Agent.UserId)) call.Together = true;
                    else if (call.Together && call.TryStartHangUp())
                        await AcsAsync(HttpMethod.Post, $"calling/callConnections/{connection}:terminate", null); // one left: end it for the other
                    break;
                case "AddParticipantFailed":
                case "CreateCallFailed":
                    call.Status = "failed";
                    break;
                case "CallDisconnected":
                    if (call.Status != "failed") call.Status = "ended";
                    call.Ended.TrySetResult();
                    break;
            }
        }

        return Results.Ok();
    }

    private Task AddAgentAsync(string connection, string callId) =>
        AcsAsync(HttpMethod.Post, $"calling/callConnections/{connection}/participants:add", new JsonObject
        {
            ["participantToAdd"] = new JsonObject { ["kind"] = "communicationUser", ["rawId"] = Agent.UserId, ["communicationUser"] = new JsonObject { ["id"] = Agent.UserId } },
            ["invitationTimeoutInSeconds"] = 30,
            ["operationContext"] = callId + "|agent.1",
        });

    /// <summary>A new ACS identity with a voip token, from the stand-in's Identity API.</summary>
    public async Task<(string UserId, string Token)> CreateUserAsync()
    {
        var reply = await AcsAsync(HttpMethod.Post, "identities", new JsonObject { ["createTokenWithScopes"] = new JsonArray("voip") }, "2023-10-01");
        return (reply!["identity"]!["id"]!.GetValue<string>(), reply["accessToken"]!["token"]!.GetValue<string>());
    }

    /// <summary>An HMAC-signed request to the stand-in, as ACS clients sign them.</summary>
    private async Task<JsonObject?> AcsAsync(HttpMethod method, string path, JsonObject? body, string apiVersion = "2026-03-12")
    {
        var uri = new Uri(_acs.Endpoint, $"{path}?api-version={apiVersion}");
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body.ToJsonString());
        var date = DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture);
        var hash = Convert.ToBase64String(SHA256.HashData(bytes));
        var toSign = $"{method.Method}\n{uri.PathAndQuery}\n{date};{uri.Authority};{hash}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(_acs.AccessKey), Encoding.UTF8.GetBytes(toSign)));
        using var request = new HttpRequestMessage(method, uri);
        if (bytes.Length > 0) request.Content = new ByteArrayContent(bytes) { Headers = { { "Content-Type", "application/json" } } };
        request.Headers.TryAddWithoutValidation("x-ms-date", date);
        request.Headers.TryAddWithoutValidation("x-ms-content-sha256", hash);
        request.Headers.TryAddWithoutValidation("Authorization", $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}");
        request.Headers.TryAddWithoutValidation("Repeatability-Request-ID", Guid.NewGuid().ToString());
        using var http = new HttpClient();
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path} -> {(int)response.StatusCode} {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class OfferState(JsonObject view)
    {
        public JsonObject View { get; } = view;

        public string Status { get; set; } = "pending";
    }
}

/// <summary>A call the stub placed, and what the stand-in told it.</summary>
public sealed class StubCall(string callId, string shopperUserId)
{
    public string CallId { get; } = callId;

    public string ShopperUserId { get; } = shopperUserId;

    public string? Connection { get; set; }

    private volatile string _status = "queued";
    private int _hangingUp;

    /// <summary>queued, connected, ended or failed, as the app's call record would say.</summary>
    public string Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>Shopper and agent were both in the call at some point.</summary>
    public bool Together { get; set; }

    /// <summary>True for the first caller only: the call is ended once.</summary>
    public bool TryStartHangUp() => Interlocked.Exchange(ref _hangingUp, 1) == 0;

    public ConcurrentQueue<string> Events { get; } = new();

    public TaskCompletionSource<string> Placed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
