using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace CartCall.LocalCloud.Acs;

/// <summary>
/// A local Azure Communication Services stand-in on 127.0.0.1: Call Automation and Identity REST with HMAC auth,
/// simulated parties, signed CloudEvent callbacks, the OpenID/JWKS documents ACS publishes, and a page at <c>/</c>
/// where a person can act as the shopper or the agent.
/// </summary>
public sealed class AcsStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly AcsCallSimulator _simulator;
    private readonly AcsBrowserSignaling _signaling;
    private readonly AcsCallbackSigner _signer;
    private readonly AcsHmacVerifier _verifier;
    private readonly AcsStandInOptions _options;
    private readonly ConcurrentQueue<AcsRecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _repeatable = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<(int Status, string? PathContains)> _injected = new();
    private readonly ConcurrentDictionary<string, string> _users = new(StringComparer.Ordinal);

    private AcsStandIn(AcsStandInOptions options, WebApplication app, AcsCallbackSigner signer, string accessKey, string resourceId, ILogger logger)
    {
        _options = options;
        _app = app;
        _signer = signer;
        AccessKey = accessKey;
        ResourceId = resourceId;
        _verifier = new AcsHmacVerifier(Convert.FromBase64String(accessKey), options.TimeProvider, options.MaxClockSkew);
        _simulator = new AcsCallSimulator(options, signer, () => (Issuer, ResourceId), logger, _users.ContainsKey) { Faults = options.Faults };
        _signaling = new AcsBrowserSignaling(_simulator, AuthenticatePageAsync, options.SignalingAuthTimeout, logger);
        _simulator.BrowserLegs = _signaling;
    }

    public Uri Endpoint { get; private set; } = null!;

    public string AccessKey { get; }

    public string ConnectionString => $"endpoint={Endpoint.AbsoluteUri};accesskey={AccessKey}";

    /// <summary>The immutable resource id: the <c>aud</c> of every callback token.</summary>
    public string ResourceId { get; }

    public string Issuer { get; private set; } = null!;

    public Uri OpenIdConfigurationUri => new(Endpoint, "calling/.well-known/acsopenidconfiguration");

    public Uri JwksUri => new(Endpoint, "calling/keys");

    /// <summary>
    /// The calling WebSocket (<c>ws://127.0.0.1:{port}/calling/signaling</c>) where pages of
    /// <see cref="PartyBehavior.Browser"/> parties sign in with their voip token, are rung, and exchange SDP and ICE.
    /// </summary>
    public Uri SignalingUri => new($"ws://{Endpoint.Authority}{AcsBrowserSignaling.Path}");

    /// <summary>Calling pages signed in on <see cref="SignalingUri"/> now.</summary>
    public int SignedInPages => _signaling.SignedInPages;

    /// <summary>Party scripts by phone number, raw id or user id; changes apply to calls placed afterwards.</summary>
    public ConcurrentDictionary<string, PartyScript> Parties => _simulator.Parties;

    /// <summary>Fault knobs for calls created afterwards (a party's script may override per call).</summary>
    public AcsFaults Faults
    {
        get => _simulator.Faults;
        set => _simulator.Faults = value ?? AcsFaults.None;
    }

    public IReadOnlyList<AcsStandInCall> Calls => _simulator.Snapshot();

    public IReadOnlyCollection<AcsDeliveredCallback> DeliveredCallbacks => _simulator.Delivered;

    public IReadOnlyCollection<AcsRecordedRequest> Requests => _requests.ToArray();

    /// <summary>Every cancel of an invitation the stand-in carried out, in order, with whether it stopped a ringing party.</summary>
    public IReadOnlyCollection<AcsInvitationCancel> InvitationCancels => _simulator.Cancels;

    /// <summary>Every participant the stand-in took off a call (<c>participants:remove</c>), in order.</summary>
    public IReadOnlyCollection<AcsParticipantRemoval> ParticipantRemovals => _simulator.Removals;

    /// <summary>The next <paramref name="count"/> authenticated API requests (whose path contains the filter) fail with <paramref name="status"/>.</summary>
    public void InjectFailures(int status, int count, string? pathContains = null)
    {
        for (var i = 0; i < count; i++) _injected.Enqueue((status, pathContains));
    }

    /// <summary>Acts as a party, as the page's buttons do: answer, decline, hangup, dtmf (with keys).</summary>
    public bool Act(string callConnectionId, string partyRawIdOrNumber, string action, string? keys = null)
    {
        if (!_simulator.TryGet(callConnectionId, out var call)) return false;
        var raw = partyRawIdOrNumber.StartsWith('+') ? "4:" + partyRawIdOrNumber : partyRawIdOrNumber;
        return _simulator.Act(call, raw, action, keys);
    }

    public static async Task<AcsStandIn> StartAsync(AcsStandInOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var accessKey = options.AccessKey ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var resourceId = options.ResourceId ?? Guid.NewGuid().ToString();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CartCall.LocalCloud.Acs");
        var signer = new AcsCallbackSigner(options.TimeProvider);
        var standIn = new AcsStandIn(options, app, signer, accessKey, resourceId, logger);
        standIn.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        standIn.Endpoint = new Uri($"http://127.0.0.1:{port}/");
        standIn.Issuer = options.Issuer ?? $"http://127.0.0.1:{port}";
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await _signaling.DisposeAsync().ConfigureAwait(false);
        await _simulator.DisposeAsync().ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _signer.Dispose();
    }

    // ---- routes ------------------------------------------------------------------------------------------------

    private void Map(WebApplication app)
    {
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.Map(AcsBrowserSignaling.Path, _signaling.HandleAsync);
        app.MapGet("/", () => Results.Content(AcsStandInPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/_standin/calls", () => Results.Json(_simulator.Snapshot(), AcsWire.Json));
        app.MapPost("/_standin/calls/{callId}/parties/{partyId}/{action}", (string callId, string partyId, string action, string? keys) =>
            Act(callId, partyId, action, keys)
                ? Results.NoContent()
                : AcsWire.Error(409, "InvalidAction", $"'{action}' is not possible for {partyId} in call {callId} now."));

        app.MapGet("/calling/.well-known/acsopenidconfiguration", () => Results.Json(new JsonObject
        {
            ["issuer"] = Issuer,
            ["jwks_uri"] = JwksUri.AbsoluteUri,
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["response_types_supported"] = new JsonArray("id_token"),
            ["subject_types_supported"] = new JsonArray("public"),
        }, AcsWire.Json));
        app.MapGet("/calling/keys", () => Results.Json(_signer.Jwks(), AcsWire.Json));

        // Every ACS API request: HMAC, api-version, injected faults, repeatability replay, then the operation.
        // A middleware rather than routes: ACS paths carry ':' actions (":play", ":terminate") inside segments.
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "";
            if (path.StartsWith("/calling/callConnections", StringComparison.Ordinal)) await HandleApiAsync(ctx, CallingAsync).ConfigureAwait(false);
            else if (path.StartsWith("/identities", StringComparison.Ordinal)) await HandleApiAsync(ctx, IdentitiesAsync).ConfigureAwait(false);
            else await next(ctx).ConfigureAwait(false);
        });
    }

    private async Task HandleApiAsync(HttpContext ctx, Func<HttpContext, JsonObject?, Task<IResult>> operation)
    {
        var request = ctx.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
        var body = buffer.ToArray();
        var rawTarget = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.Path + request.QueryString).ToString();
        var repeatId = request.Headers["Repeatability-Request-ID"].FirstOrDefault();
        var firstSent = request.Headers["Repeatability-First-Sent"].FirstOrDefault();

        IResult result;
        var why = _verifier.Verify(request.Method, rawTarget, request.Headers.Host.FirstOrDefault(), request.Headers.Authorization.FirstOrDefault(),
            request.Headers["x-ms-date"].FirstOrDefault() ?? request.Headers.Date.FirstOrDefault(),
            request.Headers["x-ms-content-sha256"].FirstOrDefault(), body);
        if (why is not null)
        {
            result = AcsWire.Error(401, "Unauthorized", why);
        }
        else if (string.IsNullOrEmpty(request.Query["api-version"].FirstOrDefault()))
        {
            result = AcsWire.Error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }
        else if (TryTakeInjected(request.Path.Value ?? "") is { } injected)
        {
            result = AcsWire.Error(injected, "InjectedFault", $"The stand-in was told to fail this request with {injected}.");
        }
        else if (repeatId is not null && _repeatable.TryGetValue(repeatId, out var replay))
        {
            // A retry of a request already carried out: the same answer again, nothing done twice.
            result = Results.Text(replay.Body, "application/json", statusCode: replay.Status);
        }
        else
        {
            JsonObject? json = null;
            if (body.Length > 0)
            {
                try { json = JsonNode.Parse(body) as JsonObject; }
                catch (JsonException) { json = null; }
                if (json is null) result = AcsWire.Error(400, "BadRequest", "The request body is not a JSON object.");
                else result = await operation(ctx, json).ConfigureAwait(false);
            }
            else
            {
                result = await operation(ctx, null).ConfigureAwait(false);
            }
        }

        await result.ExecuteAsync(ctx).ConfigureAwait(false);
        _requests.Enqueue(new AcsRecordedRequest(request.Method, request.Path.Value ?? "", repeatId, firstSent, ctx.Response.StatusCode));
    }

    private int? TryTakeInjected(string path)
    {
        if (!_injected.TryPeek(out var next)) return null;
        if (next.PathContains is not null && !path.Contains(next.PathContains, StringComparison.OrdinalIgnoreCase)) return null;
        return _injected.TryDequeue(out next) ? next.Status : null;
    }

    private IResult Remember(HttpContext ctx, int status, JsonObject body)
    {
        var text = body.ToJsonString(AcsWire.Json);
        if (ctx.Request.Headers["Repeatability-Request-ID"].FirstOrDefault() is { } id) _repeatable.TryAdd(id, (status, text));
        return Results.Text(text, "application/json", statusCode: status);
    }

    private async Task<IResult> CallingAsync(HttpContext ctx, JsonObject? body)
    {
        var method = ctx.Request.Method;
        var path = ctx.Request.Path.Value ?? "";
        const string prefix = "/calling/callConnections";
        var rest = path.Length > prefix.Length ? Uri.UnescapeDataString(path[prefix.Length..]) : "";

        if (rest == "" && HttpMethods.IsPost(method)) return await CreateCallAsync(ctx, body).ConfigureAwait(false);
        if (rest == ":answer" && HttpMethods.IsPost(method))
            return AcsWire.Error(400, "UnknownIncomingCallContext", "The stand-in simulates outbound calls only; this incomingCallContext is unknown.");
        if (!rest.StartsWith('/')) return AcsWire.Error(404, "NotFound", "No such operation.");

        rest = rest[1..];
        string id = rest, op = "";
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (slash >= 0) { id = rest[..slash]; op = rest[slash..]; }
        else if (colon >= 0) { id = rest[..colon]; op = rest[colon..]; }

        // As the service does, a call that has ended is no longer found.
        if (!_simulator.TryGet(id, out var call) || (method == "GET" && !call.IsLive)) return AcsWire.Error(404, "CallNotFound", $"Call connection {id} was not found.");

        return (method, op) switch
        {
            ("GET", "") => Results.Json(Properties(call), AcsWire.Json),
            ("GET", "/participants") => Results.Json(Participants(call), AcsWire.Json),
            ("DELETE", "") => HangUp(call, forEveryone: false),
            ("POST", ":terminate") => HangUp(call, forEveryone: true),
            ("POST", "/participants:add") => AddParticipant(ctx, call, body),
            ("POST", "/participants:cancelAddParticipant") => CancelAddParticipant(ctx, call, body),
            ("POST", "/participants:remove") => RemoveParticipant(ctx, call, body),
            ("POST", ":play") => Play(call, body),
            ("POST", ":recognize") => Recognize(call, body),
            _ => AcsWire.Error(404, "NotFound", $"{method} {op} is not supported by the stand-in."),
        };
    }

    private static JsonObject Participants(SimCall call)
    {
        lock (call.Gate)
        {
            return new JsonObject
            {
                ["value"] = new JsonArray(call.Parties.Where(p => p.State == PartyState.Connected)
                    .Select(p => (JsonNode)new JsonObject { ["identifier"] = p.Party.ToModel(), ["isMuted"] = p.Muted, ["isOnHold"] = false })
                    .ToArray()),
            };
        }
    }

    private async Task<IResult> CreateCallAsync(HttpContext ctx, JsonObject? body)
    {
        if (body is null) return AcsWire.Error(400, "BadRequest", "A create-call body is required.");
        if (body["targets"] is not JsonArray targetNodes || targetNodes.Count == 0)
            return AcsWire.Error(400, "BadRequest", "targets must name at least one participant.");
        var targets = targetNodes.Select(AcsWire.ReadIdentifier).ToList();
        if (targets.Any(t => t is null)) return AcsWire.Error(400, "BadRequest", "Every target needs phoneNumber.value, communicationUser.id or rawId.");
        if (ReadCallbackUri(body["callbackUri"], out var callbackUri) is { } bad) return bad;
        if (targets.Any(t => t!.Kind == "phoneNumber") && body["sourceCallerIdNumber"]?["value"] is null)
            return AcsWire.Error(400, "BadRequest", "sourceCallerIdNumber is required to call a phone number.");

        var call = _simulator.CreateCall(targets!, callbackUri!, body["operationContext"]?.GetValue<string>(), body);
        var reply = Remember(ctx, 201, Properties(call));
        if (call.Faults.CallbacksBeforeReply)
        {
            // The service may call back before the create reply arrives; make that happen.
            await call.FirstDelivered.Task.WaitAsync(TimeSpan.FromSeconds(15), ctx.RequestAborted).ConfigureAwait(false);
        }

        return reply;
    }

    private IResult HangUp(SimCall call, bool forEveryone)
    {
        _simulator.HangUp(call, forEveryone);
        return Results.NoContent();
    }

    private IResult AddParticipant(HttpContext ctx, SimCall call, JsonObject? body)
    {
        if (body is null) return AcsWire.Error(400, "BadRequest", "A body is required.");
        var who = AcsWire.ReadIdentifier(body["participantToAdd"]);
        if (who is null) return AcsWire.Error(400, "BadRequest", "participantToAdd must name a participant.");
        if (who.Kind == "phoneNumber" && body["sourceCallerIdNumber"]?["value"] is null)
            return AcsWire.Error(400, "BadRequest", "sourceCallerIdNumber is required to add a phone number.");
        if (!call.IsLive || call.State != "connected") return AcsWire.Error(400, "CallNotEstablished", "The call is not connected.");
        int? timeout = null;
        if (body["invitationTimeoutInSeconds"] is JsonValue t)
        {
            var seconds = t.GetValue<int>();
            if (seconds is < 0 or > 180) return AcsWire.Error(400, "BadRequest", "invitationTimeoutInSeconds must be 0..180.");
            timeout = seconds;
        }

        Uri? opCallback = null;
        if (body["operationCallbackUri"] is not null && ReadCallbackUri(body["operationCallbackUri"], out opCallback) is { } bad) return bad;
        var operationContext = body["operationContext"]?.GetValue<string>();
        var party = _simulator.AddParticipant(call, who, timeout, operationContext, opCallback);
        var reply = new JsonObject
        {
            ["participant"] = new JsonObject { ["identifier"] = who.ToModel(), ["isMuted"] = false, ["isOnHold"] = false },
            ["invitationId"] = party.InvitationId,
        };
        if (operationContext is not null) reply["operationContext"] = operationContext;
        return Remember(ctx, 202, reply);
    }

    private IResult CancelAddParticipant(HttpContext ctx, SimCall call, JsonObject? body)
    {
        if (body?["invitationId"] is not JsonValue idNode || !idNode.TryGetValue<string>(out var invitationId) || string.IsNullOrEmpty(invitationId))
            return AcsWire.Error(400, "BadRequest", "invitationId is required.");
        if (!call.IsLive) return AcsWire.Error(404, "CallNotFound", $"Call connection {call.Id} was not found.");
        Uri? opCallback = null;
        if (body["operationCallbackUri"] is not null && ReadCallbackUri(body["operationCallbackUri"], out opCallback) is { } bad) return bad;
        var operationContext = body["operationContext"]?.GetValue<string>();
        if (!_simulator.CancelInvitation(call, invitationId, operationContext, opCallback))
            return AcsWire.Error(404, "NotFound", $"No invitation {invitationId} in call {call.Id}.");

        // Accepted either way: whether the invitation was still ringing is told by the callback that follows.
        var reply = new JsonObject { ["invitationId"] = invitationId };
        if (operationContext is not null) reply["operationContext"] = operationContext;
        return Remember(ctx, 202, reply);
    }

    private IResult RemoveParticipant(HttpContext ctx, SimCall call, JsonObject? body)
    {
        var who = AcsWire.ReadIdentifier(body?["participantToRemove"]);
        if (who is null) return AcsWire.Error(400, "BadRequest", "participantToRemove must name a participant.");
        if (!call.IsLive) return AcsWire.Error(404, "CallNotFound", $"Call connection {call.Id} was not found.");
        Uri? opCallback = null;
        if (body!["operationCallbackUri"] is not null && ReadCallbackUri(body["operationCallbackUri"], out opCallback) is { } bad) return bad;
        var operationContext = body["operationContext"]?.GetValue<string>();
        if (!_simulator.RemoveParticipant(call, who.RawId, operationContext, opCallback))
            return AcsWire.Error(404, "ParticipantNotFound", $"{who.Label} is not in call {call.Id}.");

        var reply = new JsonObject();
        if (operationContext is not null) reply["operationContext"] = operationContext;
        return Remember(ctx, 202, reply);
    }

    private IResult Play(SimCall call, JsonObject? body)
    {
        if (body?["playSources"] is not JsonArray sources || sources.Count == 0)
            return AcsWire.Error(400, "BadRequest", "playSources must hold at least one source.");
        var names = new List<string>();
        foreach (var source in sources)
        {
            var kind = source?["kind"]?.GetValue<string>();
            if (kind == "file")
            {
                var uri = source?["file"]?["uri"]?.GetValue<string>();
                if (!Uri.TryCreate(uri, UriKind.Absolute, out var u)) return AcsWire.Error(400, "BadRequest", "file.uri must be an absolute URL.");
                names.Add(u.AbsoluteUri);
            }
            else if (kind == "text")
            {
                var text = source?["text"]?["text"]?.GetValue<string>();
                if (string.IsNullOrEmpty(text)) return AcsWire.Error(400, "BadRequest", "text.text is required.");
                names.Add("\"" + text + "\"");
            }
            else
            {
                return AcsWire.Error(400, "BadRequest", $"Play source kind '{kind}' is not supported by the stand-in.");
            }
        }

        if (call.State != "connected") return AcsWire.Error(400, "CallNotEstablished", "The call is not connected.");
        Uri? opCallback = null;
        if (body["operationCallbackUri"] is not null && ReadCallbackUri(body["operationCallbackUri"], out opCallback) is { } bad) return bad;
        _simulator.Play(call, body["operationContext"]?.GetValue<string>(), opCallback, string.Join(", ", names));
        return Results.Accepted();
    }

    private IResult Recognize(SimCall call, JsonObject? body)
    {
        if (body is null) return AcsWire.Error(400, "BadRequest", "A body is required.");
        if (!string.Equals(body["recognizeInputType"]?.GetValue<string>(), "dtmf", StringComparison.OrdinalIgnoreCase))
            return AcsWire.Error(400, "BadRequest", "The stand-in recognizes dtmf only.");
        var options = body["recognizeOptions"] as JsonObject;
        var target = AcsWire.ReadIdentifier(options?["targetParticipant"]);
        if (target is null) return AcsWire.Error(400, "BadRequest", "recognizeOptions.targetParticipant is required.");
        var dtmf = options?["dtmfOptions"] as JsonObject;
        var stopTones = (dtmf?["stopTones"] as JsonArray)?.Select(n => n?.GetValue<string>()?.ToLowerInvariant()).OfType<string>().ToHashSet() ?? [];
        Uri? opCallback = null;
        if (body["operationCallbackUri"] is not null && ReadCallbackUri(body["operationCallbackUri"], out opCallback) is { } bad) return bad;
        var recognize = new SimRecognize
        {
            MaxTones = dtmf?["maxTonesToCollect"]?.GetValue<int>() ?? 1,
            StopTones = stopTones,
            InterToneTimeout = TimeSpan.FromSeconds(dtmf?["interToneTimeoutInSeconds"]?.GetValue<int>() ?? 2),
            OperationContext = body["operationContext"]?.GetValue<string>(),
            OperationCallbackUri = opCallback,
        };
        var silence = TimeSpan.FromSeconds(options?["initialSilenceTimeoutInSeconds"]?.GetValue<int>() ?? 5);
        var why = _simulator.StartRecognize(call, target, recognize, silence);
        return why is null ? Results.Accepted() : AcsWire.Error(400, "BadRequest", why);
    }

    private static IResult? ReadCallbackUri(JsonNode? node, out Uri? uri)
    {
        uri = null;
        var text = node?.GetValue<string>();
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
            return AcsWire.Error(400, "BadRequest", "callbackUri must be an absolute http(s) URL.");
        // The stand-in only ever calls back on this machine.
        if (!parsed.IsLoopback && !(IPAddress.TryParse(parsed.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip)))
            return AcsWire.Error(400, "BadRequest", "The local stand-in calls back on loopback only (127.0.0.1 / localhost).");
        uri = parsed;
        return null;
    }

    private JsonObject Properties(SimCall call)
    {
        var snapshot = AcsCallSimulator.Snapshot(call);
        var appId = $"8:acs:{ResourceId}_00000000-0000-0000-0000-00000000a001";
        var props = new JsonObject
        {
            ["callConnectionId"] = call.Id,
            ["serverCallId"] = call.ServerCallId,
            ["targets"] = call.Request["targets"]?.AsArray().Select(t => (JsonNode?)AcsWire.ReadIdentifier(t)?.ToModel()).ToArray() is { } ts ? new JsonArray(ts) : new JsonArray(),
            ["callConnectionState"] = snapshot.State,
            ["callbackUri"] = call.CallbackUri.AbsoluteUri,
            ["source"] = new JsonObject
            {
                ["rawId"] = appId,
                ["kind"] = "communicationUser",
                ["communicationUser"] = new JsonObject { ["id"] = appId },
            },
            ["correlationId"] = call.CorrelationId,
        };
        if (call.Request["sourceCallerIdNumber"]?["value"]?.GetValue<string>() is { } caller)
            props["sourceCallerIdNumber"] = new JsonObject { ["value"] = caller };
        if (call.Request["sourceDisplayName"]?.GetValue<string>() is { } display) props["sourceDisplayName"] = display;
        return props;
    }

    // ---- identities --------------------------------------------------------------------------------------------

    private Task<IResult> IdentitiesAsync(HttpContext ctx, JsonObject? body)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value ?? "");
        if (!HttpMethods.IsPost(ctx.Request.Method)) return Task.FromResult(AcsWire.Error(405, "MethodNotAllowed", "Use POST."));
        if (path == "/identities")
        {
            var userId = $"8:acs:{ResourceId}_{Guid.NewGuid()}";
            _users[userId] = userId;
            var reply = new JsonObject { ["identity"] = new JsonObject { ["id"] = userId } };
            if (body?["createTokenWithScopes"] is JsonArray scopes && scopes.Count > 0)
            {
                if (TokenFor(userId, scopes, body["expiresInMinutes"]) is not { } token)
                    return Task.FromResult(AcsWire.Error(400, "BadRequest", "expiresInMinutes must be 60..1440."));
                reply["accessToken"] = token;
            }

            return Task.FromResult(Results.Json(reply, AcsWire.Json, statusCode: 201));
        }

        const string suffix = "/:issueAccessToken";
        if (path.StartsWith("/identities/", StringComparison.Ordinal) && path.EndsWith(suffix, StringComparison.Ordinal))
        {
            var userId = path["/identities/".Length..^suffix.Length];
            if (!_users.ContainsKey(userId)) return Task.FromResult(AcsWire.Error(404, "IdentityNotFound", $"Identity {userId} was not found."));
            if (body?["scopes"] is not JsonArray scopes || scopes.Count == 0)
                return Task.FromResult(AcsWire.Error(400, "BadRequest", "scopes must hold at least one scope."));
            return Task.FromResult(TokenFor(userId, scopes, body["expiresInMinutes"]) is { } token
                ? Results.Json(token, AcsWire.Json)
                : AcsWire.Error(400, "BadRequest", "expiresInMinutes must be 60..1440."));
        }

        return Task.FromResult(AcsWire.Error(404, "NotFound", "No such identity operation."));
    }

    /// <summary>The user a page's token names, when this stand-in issued it with the voip scope for a user it knows.</summary>
    private async Task<string?> AuthenticatePageAsync(string token)
    {
        var claims = await _signer.ValidateAsync(token, Issuer, ResourceId).ConfigureAwait(false);
        if (claims is null || !claims.TryGetValue("skypeid", out var user) || user?.ToString() is not { } userId || !_users.ContainsKey(userId)) return null;
        var scopes = claims.TryGetValue("scp", out var scp) ? scp?.ToString() ?? "" : "";
        return scopes.Split(' ').Contains("voip", StringComparer.Ordinal) ? userId : null;
    }

    private JsonObject? TokenFor(string userId, JsonArray scopes, JsonNode? expiresInMinutes)
    {
        var minutes = expiresInMinutes?.GetValue<int>() ?? 1440;
        if (minutes is < 60 or > 1440) return null;
        var lifetime = TimeSpan.FromMinutes(minutes);
        var token = _signer.CreateToken(Issuer, ResourceId, new Dictionary<string, object>
        {
            ["skypeid"] = userId,
            ["scp"] = string.Join(' ', scopes.Select(s => s?.GetValue<string>())),
            ["resourceId"] = ResourceId,
        }, lifetime);
        return new JsonObject
        {
            ["token"] = token,
            ["expiresOn"] = (_options.TimeProvider.GetUtcNow() + lifetime).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
