using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>One event on its way to one subscription.</summary>
internal sealed class DeliveryJob(EventGridSubscription subscription, InboundEvent inbound, JsonObject payload, DateTimeOffset publishedAt)
{
    public EventGridSubscription Subscription { get; } = subscription;
    public InboundEvent Inbound { get; } = inbound;
    public JsonObject Payload { get; } = payload;
    public DateTimeOffset PublishedAt { get; } = publishedAt;
    public int Attempts { get; set; }
    public int? LastStatusCode { get; set; }
}

/// <summary>
/// Pushes queued events to subscribers: validation handshake first, then one event per request, retrying per the
/// documented policy. Publishing returns before delivery, as on the real service.
/// </summary>
internal sealed partial class EventGridDeliveryWorker : IAsyncDisposable
{
    /// <summary>Sent in the CloudEvents handshake. The value the real service uses is not confirmed by Microsoft.</summary>
    public const string RequestOrigin = "eventgrid.azure.net";

    private const string CloudEventsBatchContentType = "application/cloudevents-batch+json; charset=utf-8";
    private const string EventGridContentType = "application/json; charset=utf-8";
    private const string ValidationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    private readonly EventGridStandInOptions _options;
    private readonly TimeProvider _time;
    private readonly EventGridRetryPolicy _retry;
    private readonly EventGridDeliveryLog _log;
    private readonly ILogger _logger;
    private readonly string _topicResourceId;
    private readonly Func<Uri> _baseAddress;
    private readonly Channel<DeliveryJob> _queue;
    private readonly SemaphoreSlim _slots;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _tasksGate = new();
    private readonly HashSet<Task> _inFlight = [];
    private readonly Task _pump;

    public EventGridDeliveryWorker(
        EventGridStandInOptions options, string topicResourceId, Func<Uri> baseAddress, EventGridDeliveryLog log, ILogger logger)
    {
        _options = options;
        _time = options.TimeProvider;
        _retry = new EventGridRetryPolicy(options.RetrySchedule);
        _log = log;
        _logger = logger;
        _topicResourceId = topicResourceId;
        _baseAddress = baseAddress;
        _queue = Channel.CreateBounded<DeliveryJob>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _slots = new SemaphoreSlim(options.MaxConcurrentDeliveries);
        // Loopback only: no proxy (an environment proxy would swallow 127.0.0.1), no redirects (the real service
        // does not follow them), timeouts handled per request.
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _pump = Task.Run(() => PumpAsync(_stopping.Token));
    }

    /// <summary>Room in the queue for this many more jobs (racy, good enough to answer a publish with 503).</summary>
    public bool HasRoomFor(int jobs) => !_stopping.IsCancellationRequested && _queue.Reader.Count + jobs <= _options.QueueCapacity;

    public bool TryEnqueue(DeliveryJob job) => !_stopping.IsCancellationRequested && _queue.Writer.TryWrite(job);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _queue.Writer.TryComplete();
        Task[] pending;
        lock (_tasksGate) pending = [.. _inFlight, _pump];
        // Everything observes the token; the bound only guards against a subscriber that ignores aborts.
        await Task.WhenAll(pending).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _slots.Dispose();
        _stopping.Dispose();
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(ct))
            {
                await _slots.WaitAsync(ct);
                Run(async () =>
                {
                    try
                    {
                        await ProcessAsync(job, ct);
                    }
                    finally
                    {
                        _slots.Release();
                    }
                });
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Run(Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException && _stopping.IsCancellationRequested)
            {
                // Stopping: a retry that woke as the queue closed is dropped with the rest.
            }
            catch (Exception ex)
            {
                LogUnexpected(_logger, ex);
            }
        });
        lock (_tasksGate) _inFlight.Add(task);
        task.ContinueWith(t =>
        {
            lock (_tasksGate) _inFlight.Remove(t);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ProcessAsync(DeliveryJob job, CancellationToken ct)
    {
        var subscription = job.Subscription;
        if (!await EnsureValidatedAsync(subscription, ct))
        {
            if (subscription.State == SubscriptionValidationState.Refused)
            {
                DeadLetterJob(job, DeadLetterReasons.SubscriptionNotValidated,
                    $"Subscription '{subscription.Name}' failed its validation handshake: {subscription.Detail}");
                return;
            }

            // The endpoint could not be reached for the handshake (often: the app is still starting). That uses
            // up an attempt, so the event waits out the normal retry budget instead of being lost.
            job.Attempts++;
            job.LastStatusCode = null;
            _log.Add(new DeliveryRecord(subscription.Name, job.Inbound.Id, job.Inbound.Type, job.Attempts, _time.GetUtcNow(),
                null, DeliveryOutcome.ConnectionFailed, $"Validation handshake not completed: {subscription.Detail}"));
            RetryOrGiveUp(job, ct);
            return;
        }

        await AttemptAsync(job, ct);
    }

    private async Task AttemptAsync(DeliveryJob job, CancellationToken ct)
    {
        var subscription = job.Subscription;
        job.Attempts++;
        var attemptedAt = _time.GetUtcNow();
        using var request = BuildNotification(job);
        var (status, outcome, error) = await SendAsync(request, ct);
        job.LastStatusCode = status;
        if (outcome == DeliveryOutcome.Failed && !EventGridRetryPolicy.IsSuccess(status!.Value))
        {
            error ??= $"The subscriber answered {status}.";
        }

        _log.Add(new DeliveryRecord(subscription.Name, job.Inbound.Id, job.Inbound.Type, job.Attempts, attemptedAt, status, outcome, error));
        if (outcome == DeliveryOutcome.Delivered)
        {
            LogDelivered(_logger, job.Inbound.Id, subscription.Name, job.Attempts);
            return;
        }

        LogAttemptFailed(_logger, job.Inbound.Id, subscription.Name, job.Attempts, status, outcome);
        if (status is int code && EventGridRetryPolicy.IsNonRetriable(code))
        {
            DeadLetterJob(job, DeadLetterReasons.NonRetriableStatusCode,
                $"The subscriber answered {code}, which Event Grid does not retry.");
            return;
        }

        RetryOrGiveUp(job, ct);
    }

    private void RetryOrGiveUp(DeliveryJob job, CancellationToken ct)
    {
        var subscription = job.Subscription;
        if (job.Attempts >= subscription.MaxDeliveryAttempts)
        {
            DeadLetterJob(job, DeadLetterReasons.MaxDeliveryAttemptsExceeded,
                $"Gave up after {job.Attempts} attempts (MaxDeliveryAttempts {subscription.MaxDeliveryAttempts}).");
            return;
        }

        var delay = _retry.DelayAfter(job.Attempts, job.LastStatusCode);
        // The real service stops once the TTL passes; an attempt that would fall after it is never made.
        if (_time.GetUtcNow() + delay > job.PublishedAt + subscription.EventTtl)
        {
            DeadLetterJob(job, DeadLetterReasons.TimeToLiveExceeded,
                $"The next attempt would come after the event's time to live ({subscription.EventTtl}).");
            return;
        }

        Run(async () =>
        {
            await Task.Delay(delay, _time, ct);
            await _queue.Writer.WriteAsync(job, ct);
        });
    }

    private void DeadLetterJob(DeliveryJob job, string reason, string detail)
    {
        LogDeadLettered(_logger, job.Inbound.Id, job.Subscription.Name, reason, detail);
        _log.Add(new DeadLetter(job.Subscription.Name, job.Inbound.Id, job.Inbound.Type, reason, detail, job.Attempts,
            job.LastStatusCode, job.PublishedAt, _time.GetUtcNow(), job.Payload.DeepClone().AsObject()));
    }

    private HttpRequestMessage BuildNotification(DeliveryJob job)
    {
        var subscription = job.Subscription;
        var cloudEvents = subscription.Schema == EventDeliverySchema.CloudEvents;
        // Batching is off by default: one event per request, still wrapped in an array.
        var body = new JsonArray(job.Payload.DeepClone()).ToJsonString();
        var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType =
            MediaTypeHeaderValue.Parse(cloudEvents ? CloudEventsBatchContentType : EventGridContentType);
        request.Headers.TryAddWithoutValidation("aeg-event-type", "Notification");
        request.Headers.TryAddWithoutValidation("aeg-subscription-name", subscription.Name);
        // Counts earlier attempts, so the first delivery carries 0.
        request.Headers.TryAddWithoutValidation("aeg-delivery-count", (job.Attempts - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("aeg-output-event-id", job.Inbound.Id);
        if (cloudEvents)
        {
            request.Headers.TryAddWithoutValidation("aeg-metadata-version", job.Payload["specversion"]?.GetValue<string>() ?? "1.0");
        }
        else
        {
            request.Headers.TryAddWithoutValidation("aeg-metadata-version", "1");
            request.Headers.TryAddWithoutValidation("aeg-data-version", job.Payload["dataVersion"]?.GetValue<string>() ?? "");
        }

        return request;
    }

    private async Task<(int? Status, DeliveryOutcome Outcome, string? Error)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ResponseTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            return (status, EventGridRetryPolicy.IsSuccess(status) ? DeliveryOutcome.Delivered : DeliveryOutcome.Failed, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, DeliveryOutcome.TimedOut, $"No answer within {_options.ResponseTimeout}.");
        }
        catch (HttpRequestException ex)
        {
            return (null, DeliveryOutcome.ConnectionFailed, ex.Message);
        }
    }

    private async Task<bool> EnsureValidatedAsync(EventGridSubscription subscription, CancellationToken ct)
    {
        if (subscription.State != SubscriptionValidationState.Pending)
        {
            return subscription.State == SubscriptionValidationState.Validated;
        }

        await subscription.HandshakeGate.WaitAsync(ct);
        try
        {
            if (subscription.State != SubscriptionValidationState.Pending)
            {
                return subscription.State == SubscriptionValidationState.Validated;
            }

            var (state, detail) = subscription.Schema == EventDeliverySchema.CloudEvents
                ? await CloudEventsHandshakeAsync(subscription, ct)
                : await EventGridHandshakeAsync(subscription, ct);
            subscription.SetState(state, detail);
            LogHandshake(_logger, subscription.Name, state, detail);
            return state == SubscriptionValidationState.Validated;
        }
        finally
        {
            subscription.HandshakeGate.Release();
        }
    }

    // CloudEvents 1.0 abuse protection (cloudevents http-webhook §4, as Event Grid implements it).
    private async Task<(SubscriptionValidationState, string?)> CloudEventsHandshakeAsync(
        EventGridSubscription subscription, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ResponseTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Options, subscription.Endpoint);
        request.Headers.TryAddWithoutValidation("WebHook-Request-Origin", RequestOrigin);
        request.Headers.TryAddWithoutValidation("WebHook-Request-Rate", "120");
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (EventGridRetryPolicy.IsUnavailable(status))
            {
                return (SubscriptionValidationState.Pending, $"OPTIONS handshake answered {status}; the endpoint is asked again with the next attempt.");
            }

            if (status != 200)
            {
                return (SubscriptionValidationState.Refused,
                    $"OPTIONS handshake answered {status}; 200 with WebHook-Allowed-Origin is required.");
            }

            if (!response.Headers.TryGetValues("WebHook-Allowed-Origin", out var origins))
            {
                return (SubscriptionValidationState.Refused, "OPTIONS handshake answered 200 without a WebHook-Allowed-Origin header.");
            }

            var allowed = origins.SelectMany(o => o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            if (!allowed.Any(o => o == "*" || string.Equals(o, RequestOrigin, StringComparison.OrdinalIgnoreCase)))
            {
                return (SubscriptionValidationState.Refused,
                    $"WebHook-Allowed-Origin '{string.Join(",", allowed)}' does not allow origin '{RequestOrigin}'.");
            }

            // The spec makes WebHook-Allowed-Rate a MUST when a rate was requested; note it rather than refuse,
            // since whether the real service enforces it is not documented.
            return response.Headers.Contains("WebHook-Allowed-Rate")
                ? (SubscriptionValidationState.Validated, null)
                : (SubscriptionValidationState.Validated, "Validated, but the answer lacked WebHook-Allowed-Rate (a MUST when WebHook-Request-Rate is sent).");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (SubscriptionValidationState.Pending, $"OPTIONS handshake got no answer within {_options.ResponseTimeout}.");
        }
        catch (HttpRequestException ex)
        {
            return (SubscriptionValidationState.Pending, $"OPTIONS handshake could not reach the endpoint: {ex.Message}");
        }
    }

    private async Task<(SubscriptionValidationState, string?)> EventGridHandshakeAsync(
        EventGridSubscription subscription, CancellationToken ct)
    {
        var code = Guid.NewGuid().ToString("D").ToUpperInvariant();
        subscription.ValidationCode = code;
        var validationUrl = new Uri(_baseAddress(),
            $"api/_standin/subscriptions/{Uri.EscapeDataString(subscription.Name)}/validate?code={code}");
        var validationEvent = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString("D"),
            ["topic"] = _topicResourceId,
            ["subject"] = "",
            ["data"] = new JsonObject { ["validationCode"] = code, ["validationUrl"] = validationUrl.AbsoluteUri },
            ["eventType"] = ValidationEventType,
            ["eventTime"] = _time.GetUtcNow().ToString("O"),
            ["metadataVersion"] = "1",
            ["dataVersion"] = "2",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(new JsonArray(validationEvent).ToJsonString())),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(EventGridContentType);
        request.Headers.TryAddWithoutValidation("aeg-event-type", "SubscriptionValidation");
        request.Headers.TryAddWithoutValidation("aeg-subscription-name", subscription.Name);
        request.Headers.TryAddWithoutValidation("aeg-delivery-count", "0");
        request.Headers.TryAddWithoutValidation("aeg-metadata-version", "1");
        request.Headers.TryAddWithoutValidation("aeg-data-version", "2");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.ResponseTimeout);
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var status = (int)response.StatusCode;
            if (EventGridRetryPolicy.IsUnavailable(status))
            {
                return (SubscriptionValidationState.Pending, $"SubscriptionValidationEvent answered {status}; the endpoint is asked again with the next attempt.");
            }

            if (status != 200)
            {
                return (SubscriptionValidationState.Refused,
                    $"SubscriptionValidationEvent answered {status}; only 200 with {{\"validationResponse\": code}} validates (202 does not).");
            }

            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            string? answered = null;
            try
            {
                answered = JsonNode.Parse(text)?["validationResponse"]?.GetValue<string>();
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
            {
                // Reported below as a missing validationResponse.
            }

            return string.Equals(answered, code, StringComparison.OrdinalIgnoreCase)
                ? (SubscriptionValidationState.Validated, null)
                : (SubscriptionValidationState.Refused,
                    answered is null
                        ? "SubscriptionValidationEvent answer had no validationResponse (a GET to the validationUrl still validates)."
                        : $"validationResponse '{answered}' does not match the validationCode.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (SubscriptionValidationState.Pending, $"SubscriptionValidationEvent got no answer within {_options.ResponseTimeout}.");
        }
        catch (HttpRequestException ex)
        {
            return (SubscriptionValidationState.Pending, $"SubscriptionValidationEvent could not reach the endpoint: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} delivered to {Subscription} on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string eventId, string subscription, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} to {Subscription} attempt {Attempt} failed: status {StatusCode}, {Outcome}")]
    private static partial void LogAttemptFailed(ILogger logger, string eventId, string subscription, int attempt, int? statusCode, DeliveryOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} dead-lettered for {Subscription}: {Reason} ({Detail})")]
    private static partial void LogDeadLettered(ILogger logger, string eventId, string subscription, string reason, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscription {Subscription} handshake: {State} {Detail}")]
    private static partial void LogHandshake(ILogger logger, string subscription, SubscriptionValidationState state, string? detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in Event Grid delivery")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
