using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.LocalCloud.Stripe;

/// <summary>One API request the stand-in answered, for tests and the debugging view.</summary>
public sealed record StripeRequestRecord(DateTimeOffset At, string Method, string Path, string? IdempotencyKey, int Status, bool Replayed, string RequestId);

/// <summary>
/// A local Stripe for the PaymentIntents CartCall uses (create with manual capture, confirm, capture with an amount,
/// cancel, retrieve) and refunds, on 127.0.0.1 and speaking Stripe's wire format: form-encoded requests, Stripe's JSON objects and
/// error shapes, Idempotency-Key semantics, the documented test payment methods, and signed <c>payment_intent.*</c>
/// webhooks. <see cref="Outage"/> makes every API call fail as a Stripe outage does. <c>/_standin/payment-element</c>
/// stands in for Stripe's Payment Element.
/// </summary>
public sealed partial class StripeStandIn : IAsyncDisposable
{
    private static readonly JsonSerializerOptions ViewJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly StripeStandInOptions options;
    private readonly StripePaymentIntents intents;
    private readonly StripeIdempotency idempotency;
    private readonly StripeWebhookSender webhooks;
    private readonly ILogger logger;
    private readonly Lock recordsGate = new();
    private readonly List<StripeRequestRecord> records = [];
    private WebApplication? app;
    private Uri? baseAddress;
    private volatile bool outage;
    private int disposed;

    private StripeStandIn(StripeStandInOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        logger = loggerFactory.CreateLogger<StripeStandIn>();
        intents = new StripePaymentIntents(options);
        idempotency = new StripeIdempotency(options);
        webhooks = new StripeWebhookSender(options, loggerFactory.CreateLogger<StripeWebhookSender>());
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>: what Stripe.net takes as ApiBase and stripe-node as host/port/protocol.</summary>
    public Uri BaseAddress => baseAddress ?? throw new InvalidOperationException("The stand-in is not started.");

    public string SecretKey => options.SecretKeys[0];

    public string PublishableKey => options.PublishableKey;

    /// <summary>While true every API request fails with a 500 <c>api_error</c>, as during a Stripe outage.</summary>
    public bool Outage
    {
        get => outage;
        set => outage = value;
    }

    /// <summary>
    /// Called with (method, path) after a request took effect and before its answer is written: tests use it to cut
    /// the caller off at the worst moment (the charge is made, the caller never hears of it).
    /// </summary>
    public Action<string, string>? AfterEffect { get; set; }

    /// <summary>Every PaymentIntent, as the API would show it (with metadata).</summary>
    public IReadOnlyList<JsonObject> PaymentIntents => intents.Snapshot();

    public IReadOnlyList<StripeWebhookDelivery> WebhookDeliveries => webhooks.Deliveries;

    /// <summary>Every event raised, oldest first.</summary>
    public IReadOnlyList<JsonObject> Events => webhooks.Events;

    public int PendingWebhooks => webhooks.Pending;

    public IReadOnlyList<StripeRequestRecord> Requests
    {
        get { lock (recordsGate) return [.. records]; }
    }

    /// <summary>The stand-in's Payment Element page for a PaymentIntent.</summary>
    public Uri PaymentElementUrl(string clientSecret, Uri? returnUrl = null) =>
        new(BaseAddress, "_standin/payment-element?client_secret=" + Uri.EscapeDataString(clientSecret)
            + (returnUrl is null ? "" : "&return_url=" + Uri.EscapeDataString(returnUrl.AbsoluteUri)));

    public static async Task<StripeStandIn> StartAsync(StripeStandInOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var standIn = new StripeStandIn(options, loggerFactory);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        var app = builder.Build();
        app.MapPost("/v1/payment_intents", ctx => standIn.ApiAsync(ctx, (form, key) => standIn.intents.Create(form), secretOnly: true));
        app.MapGet("/v1/payment_intents/{id}", ctx => standIn.RetrieveAsync(ctx, (string)ctx.Request.RouteValues["id"]!));
        app.MapPost("/v1/payment_intents/{id}/confirm", ctx => standIn.ApiAsync(ctx,
            (form, key) => standIn.intents.Confirm((string)ctx.Request.RouteValues["id"]!, form, key.Publishable), secretOnly: false));
        app.MapPost("/v1/payment_intents/{id}/capture", ctx => standIn.ApiAsync(ctx,
            (form, key) => standIn.intents.Capture((string)ctx.Request.RouteValues["id"]!, form), secretOnly: true));
        app.MapPost("/v1/payment_intents/{id}/cancel", ctx => standIn.ApiAsync(ctx,
            (form, key) => standIn.intents.Cancel((string)ctx.Request.RouteValues["id"]!, form), secretOnly: true));
        app.MapPost("/v1/refunds", ctx => standIn.ApiAsync(ctx, (form, key) => standIn.intents.Refund(form), secretOnly: true));
        app.MapGet("/_standin/payment-element", standIn.PaymentElementAsync);
        app.MapGet("/_standin/payment_intents", ctx => WriteViewAsync(ctx, standIn.PaymentIntents));
        app.MapGet("/_standin/events", ctx => WriteViewAsync(ctx, standIn.Events));
        app.MapGet("/_standin/webhooks", ctx => WriteViewAsync(ctx, standIn.WebhookDeliveries));
        app.MapGet("/_standin/requests", ctx => WriteViewAsync(ctx, standIn.Requests));
        app.MapPost("/_standin/outage", ctx =>
        {
            standIn.Outage = ctx.Request.Query["on"] != "false";
            return WriteViewAsync(ctx, new { outage = standIn.Outage });
        });
        app.MapFallback(ctx => standIn.WriteErrorAsync(ctx, new StripeApiException(404, "invalid_request_error",
            $"Unrecognized request URL ({ctx.Request.Method}: {ctx.Request.Path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."), NewRequestId()));

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await standIn.webhooks.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        standIn.app = app;
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        standIn.baseAddress = new Uri($"http://127.0.0.1:{port}/");
        LogStarted(standIn.logger, standIn.baseAddress, options.WebhookEndpoints.Count);
        return standIn;
    }

    /// <summary>Adds a webhook endpoint at run time (as the Dashboard or <c>stripe listen</c> does); returns its secret.</summary>
    public string AddWebhookEndpoint(Uri url, string? secret = null, IEnumerable<string>? enabledEvents = null)
    {
        secret ??= "whsec_" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
        webhooks.AddEndpoint(new StripeWebhookEndpointOptions { Url = url, Secrets = [secret], EnabledEvents = [.. enabledEvents ?? []] });
        return secret;
    }

    /// <summary>Cancels uncaptured holds older than the authorization window (normally noticed on access).</summary>
    public void ExpireHolds() => webhooks.Publish(intents.ExpireHolds(), NewRequestId(), null);

    /// <summary>Waits until every queued webhook delivery is done (delivered or given up), or the timeout passes.</summary>
    public async Task<bool> WaitForWebhooksAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (webhooks.Pending > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        return webhooks.Pending == 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await webhooks.DisposeAsync().ConfigureAwait(false);
        if (app is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private readonly record struct ApiKey(string Value, bool Publishable);

    private async Task RetrieveAsync(HttpContext ctx, string id)
    {
        var requestId = NewRequestId();
        var query = StripeForm.Parse(ctx.Request.QueryString.Value);
        try
        {
            var key = Authenticate(ctx, query, secretOnly: false);
            if (outage) throw OutageError();
            var events = new List<StandInEvent>();
            var json = intents.Retrieve(id, query.Scalar("client_secret"), key.Publishable, events);
            webhooks.Publish(events, requestId, null);
            await WriteJsonAsync(ctx, 200, json.ToJsonString(), requestId, null, replayed: false).ConfigureAwait(false);
        }
        catch (StripeApiException e)
        {
            webhooks.Publish(e.Events, requestId, null);
            await WriteErrorAsync(ctx, e, requestId).ConfigureAwait(false);
        }
    }

    private async Task ApiAsync(HttpContext ctx, Func<StripeForm, ApiKey, (JsonObject Intent, List<StandInEvent> Events)> run, bool secretOnly)
    {
        var requestId = NewRequestId();
        var header = ctx.Request.Headers["Idempotency-Key"].ToString();
        string? idempotencyKey = header.Length > 0 ? header : null;
        string? claimed = null;
        ApiKey key = default;
        try
        {
            var body = await ReadFormAsync(ctx).ConfigureAwait(false);
            var form = StripeForm.Parse(body);
            key = Authenticate(ctx, form, secretOnly);
            form = form.Without("key");
            if (outage) throw OutageError();
            if (idempotencyKey is not null)
            {
                if (idempotencyKey.Length > StripeIdempotency.MaxKeyLength)
                {
                    throw StripeApiException.Invalid($"Idempotency-Key must be at most {StripeIdempotency.MaxKeyLength} characters long.", code: "idempotency_key_too_long");
                }

                var (verdict, saved) = idempotency.Begin(key.Value, idempotencyKey, form.Fingerprint(ctx.Request.Method, ctx.Request.Path));
                switch (verdict)
                {
                    case StripeIdempotency.Verdict.Replay:
                        await WriteJsonAsync(ctx, saved!.Status, saved.Body, saved.RequestId, idempotencyKey, replayed: true).ConfigureAwait(false);
                        return;
                    case StripeIdempotency.Verdict.Mismatch:
                        throw new StripeApiException(400, "idempotency_error",
                            $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idempotencyKey}' if you meant to execute a different request.");
                    case StripeIdempotency.Verdict.InProgress:
                        ctx.Response.Headers["Stripe-Should-Retry"] = "true";
                        throw new StripeApiException(409, "invalid_request_error",
                            "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): " + idempotencyKey + ". Please try again later.",
                            "idempotency_key_in_use");
                }

                claimed = idempotencyKey;
            }

            var (intent, events) = run(form, key);
            var text = intent.ToJsonString();
            if (claimed is not null) idempotency.Complete(key.Value, claimed, new SavedResponse(200, text, requestId));
            webhooks.Publish(events, requestId, idempotencyKey);
            AfterEffect?.Invoke(ctx.Request.Method, ctx.Request.Path.Value ?? "");
            await WriteJsonAsync(ctx, 200, text, requestId, idempotencyKey, replayed: false).ConfigureAwait(false);
        }
        catch (StripeApiException e)
        {
            if (claimed is not null)
            {
                // Stripe saves the result once the endpoint ran (a decline replays as a decline); otherwise a retry runs anew.
                if (e.Executed) idempotency.Complete(key.Value, claimed, new SavedResponse(e.Status, e.ToJson(requestId).ToJsonString(), requestId));
                else idempotency.Abandon(key.Value, claimed);
            }

            webhooks.Publish(e.Events, requestId, idempotencyKey);
            await WriteErrorAsync(ctx, e, requestId, idempotencyKey).ConfigureAwait(false);
        }
    }

    private ApiKey Authenticate(HttpContext ctx, StripeForm form, bool secretOnly)
    {
        string? presented = null;
        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = header[7..].Trim();
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                presented = decoded.Split(':', 2)[0];
            }
            catch (FormatException)
            {
                presented = "";
            }
        }
        else if (form.Scalar("key") is { } formKey)
        {
            // Stripe.js sends the publishable key as a form parameter.
            presented = formKey;
        }

        if (string.IsNullOrEmpty(presented))
        {
            throw new StripeApiException(401, "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.");
        }

        if (options.SecretKeys.Contains(presented))
        {
            return new ApiKey(presented, false);
        }

        if (presented == options.PublishableKey)
        {
            if (secretOnly)
            {
                throw new StripeApiException(401, "invalid_request_error",
                    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.", "secret_key_required");
            }

            return new ApiKey(presented, true);
        }

        var hint = presented.Length > 4 ? presented[..Math.Min(8, presented.Length - 4)] + "****" + presented[^4..] : "****";
        throw new StripeApiException(401, "invalid_request_error", $"Invalid API Key provided: {hint}", "api_key_invalid");
    }

    private static StripeApiException OutageError() =>
        new(500, "api_error", "An unknown error occurred while processing your request. (stand-in outage switch is on)");

    private static async Task<string> ReadFormAsync(HttpContext ctx)
    {
        var type = ctx.Request.ContentType ?? "";
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted).ConfigureAwait(false);
        if (body.Length > 0 && !type.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            throw StripeApiException.Invalid(
                $"Invalid request: unsupported Content-Type {type}. If error persists and you need assistance, please contact support@stripe.com.");
        }

        return body;
    }

    private async Task WriteJsonAsync(HttpContext ctx, int status, string body, string requestId, string? idempotencyKey, bool replayed)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers["Request-Id"] = requestId;
        ctx.Response.Headers["Stripe-Version"] = ctx.Request.Headers["Stripe-Version"].ToString() is { Length: > 0 } v ? v : options.ApiVersion;
        if (idempotencyKey is not null)
        {
            ctx.Response.Headers["Idempotency-Key"] = idempotencyKey;
        }

        if (replayed)
        {
            ctx.Response.Headers["Idempotent-Replayed"] = "true";
        }

        Record(ctx, status, replayed, requestId, idempotencyKey);
        await ctx.Response.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
    }

    private Task WriteErrorAsync(HttpContext ctx, StripeApiException e, string requestId, string? idempotencyKey = null)
    {
        if (e.Status >= 500 && !ctx.Response.Headers.ContainsKey("Stripe-Should-Retry"))
        {
            ctx.Response.Headers["Stripe-Should-Retry"] = "true";
        }

        LogRefused(logger, ctx.Request.Method, ctx.Request.Path, e.Status, e.Type, e.Code);
        return WriteJsonAsync(ctx, e.Status, e.ToJson(requestId).ToJsonString(), requestId, idempotencyKey, replayed: false);
    }

    private void Record(HttpContext ctx, int status, bool replayed, string requestId, string? idempotencyKey)
    {
        if (!ctx.Request.Path.StartsWithSegments("/v1"))
        {
            return;
        }

        lock (recordsGate)
        {
            records.Add(new StripeRequestRecord(options.TimeProvider.GetUtcNow(), ctx.Request.Method, ctx.Request.Path, idempotencyKey, status, replayed, requestId));
            if (records.Count > options.MaxRecords) records.RemoveAt(0);
        }
    }

    private static Task WriteViewAsync<T>(HttpContext ctx, T value)
    {
        ctx.Response.ContentType = "application/json; charset=utf-8";
        return ctx.Response.WriteAsync(value is IEnumerable<JsonObject> nodes
            ? new JsonArray([.. nodes]).ToJsonString(ViewJson)
            : JsonSerializer.Serialize(value, ViewJson), ctx.RequestAborted);
    }

    private static string NewRequestId() =>
        "req_" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 14);

    private Task PaymentElementAsync(HttpContext ctx)
    {
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-store";
        return ctx.Response.WriteAsync(StripePaymentElementPage.Render(options.PublishableKey), ctx.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe stand-in listening on {BaseAddress} with {EndpointCount} webhook endpoints")]
    private static partial void LogStarted(ILogger logger, Uri baseAddress, int endpointCount);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stripe stand-in: {Method} {Path} answered {Status} {Type} {Code}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string type, string? code);
}
