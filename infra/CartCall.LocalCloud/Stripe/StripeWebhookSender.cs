using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Stripe;

/// <summary>One attempt to deliver one event to one endpoint.</summary>
public sealed record StripeWebhookDelivery(string EventId, string EventType, Uri Endpoint, int Attempt, DateTimeOffset At, int? Status, string? Error)
{
    public bool Delivered => Status is >= 200 and < 300;
}

/// <summary>
/// Delivers events to webhook endpoints: a JSON event body signed with <c>Stripe-Signature: t=…,v1=…</c> (HMAC-SHA256
/// of <c>"{t}.{body}"</c> with each of the endpoint's secrets), retried on anything but 2xx along the schedule.
/// </summary>
internal sealed partial class StripeWebhookSender : IAsyncDisposable
{
    private readonly StripeStandInOptions options;
    private readonly ILogger logger;
    private readonly Channel<(StripeWebhookEndpointOptions Endpoint, string EventId, string Type, string Body, int Attempt)> queue =
        Channel.CreateUnbounded<(StripeWebhookEndpointOptions, string, string, string, int)>();
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private readonly List<StripeWebhookDelivery> deliveries = [];
    private readonly List<JsonObject> events = [];
    private readonly List<StripeWebhookEndpointOptions> endpoints;
    private readonly Task pump;
    private int pending;

    public StripeWebhookSender(StripeStandInOptions options, ILogger logger)
    {
        this.options = options;
        this.logger = logger;
        endpoints = [.. options.WebhookEndpoints];
        pump = Task.Run(() => PumpAsync(stopping.Token));
    }

    public IReadOnlyList<StripeWebhookDelivery> Deliveries
    {
        get { lock (gate) return [.. deliveries]; }
    }

    public IReadOnlyList<JsonObject> Events
    {
        get { lock (gate) return [.. events.Select(e => e.DeepClone().AsObject())]; }
    }

    /// <summary>Deliveries queued or waiting for a retry.</summary>
    public int Pending => Volatile.Read(ref pending);

    public void AddEndpoint(StripeWebhookEndpointOptions endpoint)
    {
        var problems = endpoint.Problems("endpoint").ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems));
        lock (gate) endpoints.Add(endpoint);
    }

    /// <summary>Builds the event objects and queues one delivery per subscribed endpoint.</summary>
    public void Publish(IEnumerable<StandInEvent> raised, string requestId, string? idempotencyKey)
    {
        foreach (var e in raised)
        {
            List<StripeWebhookEndpointOptions> targets;
            lock (gate)
            {
                targets = [.. endpoints.Where(ep => ep.EnabledEvents.Count == 0 || ep.EnabledEvents.Contains(e.Type) || ep.EnabledEvents.Contains("*"))];
            }

            var id = "evt_" + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 24);
            var json = new JsonObject
            {
                ["id"] = id,
                ["object"] = "event",
                ["api_version"] = options.ApiVersion,
                ["created"] = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
                ["data"] = new JsonObject { ["object"] = e.PaymentIntent.DeepClone() },
                ["livemode"] = false,
                ["pending_webhooks"] = targets.Count,
                ["request"] = new JsonObject { ["id"] = requestId, ["idempotency_key"] = idempotencyKey },
                ["type"] = e.Type,
            };
            lock (gate) events.Add(json);
            var body = json.ToJsonString();
            foreach (var target in targets)
            {
                Interlocked.Increment(ref pending);
                queue.Writer.TryWrite((target, id, e.Type, body, 1));
            }
        }
    }

    /// <summary>The header Stripe sends: one v1 signature per secret over <c>"{t}.{payload}"</c>.</summary>
    public static string Sign(string payload, long timestamp, IEnumerable<string> secrets)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
        {
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + payload));
            sb.Append(",v1=").Append(Convert.ToHexStringLower(mac));
        }

        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        queue.Writer.TryComplete();
        await pump.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        http.Dispose();
        stopping.Dispose();
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(ct))
            {
                _ = Task.Run(() => AttemptAsync(job, ct), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task AttemptAsync((StripeWebhookEndpointOptions Endpoint, string EventId, string Type, string Body, int Attempt) job, CancellationToken ct)
    {
        var (endpoint, eventId, type, body, attempt) = job;
        int? status = null;
        string? error = null;
        var at = options.TimeProvider.GetUtcNow();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", Sign(body, at.ToUnixTimeSeconds(), endpoint.Secrets));
            request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.WebhookTimeout);
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Interlocked.Decrement(ref pending);
            return;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            error = e.Message;
        }

        var record = new StripeWebhookDelivery(eventId, type, endpoint.Url!, attempt, at, status, error);
        lock (gate)
        {
            deliveries.Add(record);
            if (deliveries.Count > options.MaxRecords) deliveries.RemoveAt(0);
        }

        if (record.Delivered)
        {
            Interlocked.Decrement(ref pending);
            return;
        }

        LogFailed(logger, eventId, endpoint.Url!, attempt, status, error);
        if (attempt >= options.WebhookMaxAttempts)
        {
            Interlocked.Decrement(ref pending);
            return;
        }

        var schedule = options.WebhookRetrySchedule;
        var delay = schedule[Math.Min(attempt - 1, schedule.Count - 1)];
        try
        {
            await Task.Delay(delay, options.TimeProvider, ct).ConfigureAwait(false);
            queue.Writer.TryWrite((endpoint, eventId, type, body, attempt + 1));
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref pending);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe stand-in: event {EventId} to {Endpoint} attempt {Attempt} failed ({Status}, {Error})")]
    private static partial void LogFailed(ILogger logger, string eventId, Uri endpoint, int attempt, int? status, string? error);
}
