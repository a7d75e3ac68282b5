using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>
/// A local Event Grid topic: accepts publishes on <c>POST /api/events</c> with a topic key or SAS token, in CloudEvents
/// 1.0 or Event Grid schema, and pushes them to webhook subscriptions with the real handshake, headers and retry
/// policy. Listens on 127.0.0.1 only.
/// </summary>
public sealed partial class EventGridStandIn : IAsyncDisposable
{
    public const string PublishPath = "/api/events";

    private static readonly JsonSerializerOptions ViewJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
    };

    private readonly EventGridStandInOptions _options;
    private readonly EventGridPublishAuthenticator _authenticator;
    private readonly EventGridDeliveryLog _log;
    private readonly ILogger _logger;
    private readonly Lock _subscriptionsGate = new();
    private readonly List<EventGridSubscription> _subscriptions = [];
    private WebApplication? _app;
    private EventGridDeliveryWorker? _worker;
    private Uri? _baseAddress;
    private int _disposed;

    private EventGridStandIn(EventGridStandInOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _authenticator = new EventGridPublishAuthenticator(options.TopicKey, options.TimeProvider);
        _log = new EventGridDeliveryLog(options.MaxRecords);
        TopicResourceId = EventGridPayloads.TopicResourceId(options.TopicName);
    }

    /// <summary>The publish endpoint, e.g. <c>http://127.0.0.1:PORT/api/events</c> (what SDK clients take).</summary>
    public Uri Endpoint => new(BaseAddress, PublishPath.TrimStart('/'));

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("The stand-in is not started.");

    /// <summary>The <c>topic</c> value stamped on Event Grid schema events.</summary>
    public string TopicResourceId { get; }

    /// <summary>Every delivery attempt so far (oldest first).</summary>
    public IReadOnlyList<DeliveryRecord> Deliveries => _log.Deliveries;

    public IReadOnlyList<DeadLetter> DeadLetters => _log.DeadLetters;

    public IReadOnlyList<SubscriptionStatus> Subscriptions
    {
        get
        {
            lock (_subscriptionsGate) return [.. _subscriptions.Select(s => s.Snapshot())];
        }
    }

    public static Task<EventGridStandIn> StartAsync(EventGridStandInOptions options, CancellationToken ct) =>
        StartAsync(options, loggerFactory: null, ct);

    /// <summary>Validates the options, binds Kestrel to 127.0.0.1 and starts the delivery worker.</summary>
    public static async Task<EventGridStandIn> StartAsync(
        EventGridStandInOptions options, ILoggerFactory? loggerFactory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var standIn = new EventGridStandIn(options, loggerFactory.CreateLogger<EventGridStandIn>());
        foreach (var subscription in options.Subscriptions)
        {
            standIn.AddSubscription(subscription);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            kestrel.AddServerHeader = false;
            // The publish handler enforces the 1 MB limit itself so it can answer 413 with a body.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        var app = builder.Build();
        app.Map(PublishPath, standIn.HandlePublishAsync);
        app.MapGet("/api/_standin/deliveries", (HttpContext ctx) => WriteViewAsync(ctx, standIn.Deliveries));
        app.MapGet("/api/_standin/deadletters", (HttpContext ctx) => WriteViewAsync(ctx, standIn.DeadLetters));
        app.MapGet("/api/_standin/subscriptions", (HttpContext ctx) => WriteViewAsync(ctx, standIn.Subscriptions));
        app.MapGet("/api/_standin/subscriptions/{name}/validate", standIn.HandleValidationUrlAsync);
        app.MapFallback((HttpContext ctx) =>
            WriteErrorAsync(ctx, 404, "NotFound", $"No such resource: {ctx.Request.Method} {ctx.Request.Path}."));

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            // E.g. the configured port is taken: release what was built before reporting it.
            await app.DisposeAsync();
            throw;
        }

        standIn._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.Select(a => new Uri(a)).First();
        standIn._baseAddress = new Uri($"http://127.0.0.1:{address.Port}/");
        standIn._worker = new EventGridDeliveryWorker(options, standIn.TopicResourceId, () => standIn.BaseAddress, standIn._log,
            loggerFactory.CreateLogger<EventGridDeliveryWorker>());
        LogStarted(standIn._logger, standIn.Endpoint, options.Subscriptions.Count);
        return standIn;
    }

    /// <summary>Adds a webhook subscription; its handshake happens before the first event is pushed to it.</summary>
    public void AddSubscription(EventGridSubscriptionOptions subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var problems = subscription.Problems("Subscription").ToList();
        if (problems.Count > 0)
        {
            throw new EventGridOptionsException(problems);
        }

        lock (_subscriptionsGate)
        {
            if (_subscriptions.Any(s => string.Equals(s.Name, subscription.Name, StringComparison.OrdinalIgnoreCase)))
            {
                throw new EventGridOptionsException([$"A subscription named '{subscription.Name}' already exists."]);
            }

            _subscriptions.Add(new EventGridSubscription(subscription));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        if (_app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _app.DisposeAsync();
        }
    }

    private async Task HandlePublishAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            ctx.Response.Headers.Allow = "POST";
            await WriteErrorAsync(ctx, 405, "MethodNotAllowed", $"{ctx.Request.Method} is not supported on {PublishPath}; publish with POST.");
            return;
        }

        if (_authenticator.Check(ctx.Request.Headers) is { } authProblem)
        {
            LogPublishRefused(_logger, 401, authProblem);
            await WriteErrorAsync(ctx, 401, "Unauthorized", authProblem);
            return;
        }

        if (string.IsNullOrEmpty(ctx.Request.Query["api-version"]))
        {
            await WriteErrorAsync(ctx, 400, "BadRequest", "The api-version query parameter is required (e.g. api-version=2018-01-01).");
            return;
        }

        var body = await ReadBoundedAsync(ctx.Request, _options.MaxPublishBytes, ct);
        if (body is null)
        {
            await WriteErrorAsync(ctx, 413, "RequestEntityTooLarge",
                $"The request body exceeds {_options.MaxPublishBytes} bytes, the most a publish may carry.");
            return;
        }

        var (events, error) = EventGridPublishParser.Parse(ctx.Request.ContentType, body);
        if (error is not null)
        {
            LogPublishRefused(_logger, error.Status, error.Message);
            await WriteErrorAsync(ctx, error.Status, error.Code, error.Message);
            return;
        }

        var publishedAt = _options.TimeProvider.GetUtcNow();
        List<EventGridSubscription> subscriptions;
        lock (_subscriptionsGate) subscriptions = [.. _subscriptions];
        var jobs = new List<DeliveryJob>();
        var mismatched = new List<DeadLetter>();
        foreach (var inbound in events!)
        {
            foreach (var subscription in subscriptions.Where(s => s.Matches(inbound.Type)))
            {
                var payload = EventGridPayloads.ForSubscription(inbound, subscription.Schema, TopicResourceId);
                if (payload is null)
                {
                    mismatched.Add(new DeadLetter(subscription.Name, inbound.Id, inbound.Type, DeadLetterReasons.SchemaMismatch,
                        "A CloudEvent cannot be delivered to an Event Grid schema subscription.", 0, null, publishedAt,
                        publishedAt, inbound.Body.DeepClone().AsObject()));
                    continue;
                }

                jobs.Add(new DeliveryJob(subscription, inbound, payload, publishedAt));
            }
        }

        var worker = _worker!;
        if (!worker.HasRoomFor(jobs.Count))
        {
            await WriteErrorAsync(ctx, 503, "ServiceUnavailable", "The local topic's delivery queue is full; retry later.");
            return;
        }

        mismatched.ForEach(_log.Add);
        foreach (var job in jobs.Where(j => !worker.TryEnqueue(j)))
        {
            _log.Add(new DeadLetter(job.Subscription.Name, job.Inbound.Id, job.Inbound.Type, DeadLetterReasons.NotQueued,
                "The delivery queue was full or the stand-in was stopping.", 0, null, publishedAt, publishedAt, job.Payload));
        }

        LogPublished(_logger, events!.Count, jobs.Count);
        ctx.Response.StatusCode = 200;
    }

    private async Task HandleValidationUrlAsync(HttpContext ctx, string name)
    {
        EventGridSubscription? subscription;
        lock (_subscriptionsGate)
        {
            subscription = _subscriptions.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        }

        if (subscription is null)
        {
            await WriteErrorAsync(ctx, 404, "NotFound", $"No subscription named '{name}'.");
            return;
        }

        if (!subscription.TryValidateByUrl(ctx.Request.Query["code"].ToString()))
        {
            await WriteErrorAsync(ctx, 400, "BadRequest", "The code does not match the last validationCode sent to this subscription.");
            return;
        }

        await WriteViewAsync(ctx, subscription.Snapshot());
    }

    /// <summary>The body, or null when it is larger than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The real service's error envelope (<c>{"error":{"code","message"}}</c>, which Microsoft's clients read into their
    /// exceptions) alongside RFC 7807 members so a person or generic client sees what was wrong too.
    /// </summary>
    private static async Task WriteErrorAsync(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        var body = new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
            ["type"] = "about:blank",
            ["title"] = ReasonPhrases.GetReasonPhrase(status),
            ["status"] = status,
            ["detail"] = message,
        };
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }

    private static Task WriteViewAsync<T>(HttpContext ctx, T value)
    {
        ctx.Response.ContentType = "application/json; charset=utf-8";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(value, ViewJson), ctx.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event Grid stand-in listening on {Endpoint} with {SubscriptionCount} subscriptions")]
    private static partial void LogStarted(ILogger logger, Uri endpoint, int subscriptionCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Accepted {EventCount} events, {DeliveryCount} deliveries queued")]
    private static partial void LogPublished(ILogger logger, int eventCount, int deliveryCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publish refused with {Status}: {Reason}")]
    private static partial void LogPublishRefused(ILogger logger, int status, string reason);
}
