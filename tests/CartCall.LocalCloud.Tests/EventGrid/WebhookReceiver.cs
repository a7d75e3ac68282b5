using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.LocalCloud.Tests.EventGrid;

/// <summary>A request the webhook saw.</summary>
public sealed record ReceivedRequest(string Method, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var v) ? v : null;

    public JsonArray BodyArray => JsonNode.Parse(Body)!.AsArray();
}

/// <summary>
/// A tiny real webhook subscriber on 127.0.0.1: answers the CloudEvents OPTIONS handshake and the Event Grid
/// SubscriptionValidationEvent (or refuses them), and answers notifications with scripted status codes.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly ConcurrentQueue<int> _scriptedStatuses = new();
    private readonly ConcurrentQueue<TimeSpan> _scriptedDelays = new();
    private readonly ConcurrentQueue<int> _scriptedHandshakeStatuses = new();
    private static readonly HttpClient ValidationClient = new(new SocketsHttpHandler { UseProxy = false });

    private WebhookReceiver(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>When false, the handshake is refused (403 to OPTIONS, 400 to the validation event).</summary>
    public bool AcceptHandshake { get; init; } = true;

    /// <summary>
    /// Event Grid schema only: answer the validation event with an empty 200 and validate by a GET to the
    /// validationUrl instead (the documented manual alternative).
    /// </summary>
    public bool ValidateByUrl { get; set; }

    /// <summary>Status of the GET to the validationUrl, once made.</summary>
    public int? ValidationUrlStatus { get; private set; }

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public IReadOnlyList<ReceivedRequest> Notifications =>
        [.. _requests.Where(r => r.Method == "POST" && r.Header("aeg-event-type") == "Notification")];

    /// <summary>Answers the next notifications with these codes, then 200.</summary>
    public void ScriptStatuses(params int[] statuses)
    {
        foreach (var status in statuses) _scriptedStatuses.Enqueue(status);
    }

    /// <summary>Answers the next handshakes (OPTIONS or the validation event) with these codes, then as <see cref="AcceptHandshake"/> says.</summary>
    public void ScriptHandshakeStatuses(params int[] statuses)
    {
        foreach (var status in statuses) _scriptedHandshakeStatuses.Enqueue(status);
    }

    /// <summary>Delays the answers to the next notifications by these amounts.</summary>
    public void ScriptDelays(params TimeSpan[] delays)
    {
        foreach (var delay in delays) _scriptedDelays.Enqueue(delay);
    }

    public static async Task<WebhookReceiver> StartAsync(bool acceptHandshake = true)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app) { AcceptHandshake = acceptHandshake };
        app.Map("/hook", receiver.HandleAsync);
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        receiver.Endpoint = new Uri($"http://127.0.0.1:{port}/hook");
        return receiver;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted);
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var request = new ReceivedRequest(ctx.Request.Method, headers, body);
        _requests.Enqueue(request);

        if ((HttpMethods.IsOptions(ctx.Request.Method) || request.Header("aeg-event-type") == "SubscriptionValidation")
            && _scriptedHandshakeStatuses.TryDequeue(out var handshakeStatus))
        {
            ctx.Response.StatusCode = handshakeStatus;
            return;
        }

        if (HttpMethods.IsOptions(ctx.Request.Method))
        {
            if (!AcceptHandshake)
            {
                ctx.Response.StatusCode = 403;
                return;
            }

            ctx.Response.Headers["WebHook-Allowed-Origin"] = ctx.Request.Headers["WebHook-Request-Origin"].ToString();
            ctx.Response.Headers["WebHook-Allowed-Rate"] = "*";
            ctx.Response.Headers.Allow = "POST";
            ctx.Response.StatusCode = 200;
            return;
        }

        if (request.Header("aeg-event-type") == "SubscriptionValidation")
        {
            if (!AcceptHandshake)
            {
                ctx.Response.StatusCode = 400;
                return;
            }

            var data = request.BodyArray[0]!["data"]!;
            if (ValidateByUrl)
            {
                var url = data["validationUrl"]!.GetValue<string>();
                _ = Task.Run(async () =>
                {
                    await Task.Delay(100);
                    using var response = await ValidationClient.GetAsync(url);
                    ValidationUrlStatus = (int)response.StatusCode;
                });
                ctx.Response.StatusCode = 200;
                return;
            }

            var code = data["validationCode"]!.GetValue<string>();
            await ctx.Response.WriteAsJsonAsync(new { validationResponse = code });
            return;
        }

        if (_scriptedDelays.TryDequeue(out var delay))
        {
            try
            {
                await Task.Delay(delay, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the stand-in gave up waiting
            }
        }

        ctx.Response.StatusCode = _scriptedStatuses.TryDequeue(out var status) ? status : 200;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
