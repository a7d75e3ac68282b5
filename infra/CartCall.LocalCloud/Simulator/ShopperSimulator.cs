using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Hosting;

namespace CartCall.LocalCloud.Simulator;

/// <summary>
/// Plays generated shopper visits against a running app: each visit's events in shopper order (a few swapped or
/// repeated when asked), waiting the visit's dwell times compressed by the time scale, signed as a storefront
/// signs them, at most <see cref="SimulationOptions.Rate"/> events a second over <see cref="SimulationOptions.Concurrency"/>
/// visits at once. Loopback only; bounded by sessions, duration and a hard maximum run time.
/// </summary>
public sealed class ShopperSimulator
{
    private readonly SimulationOptions options;
    private readonly HttpClient http;
    private readonly Uri endpoint;
    private readonly ConcurrentQueue<double> latencies = new();
    private readonly ConcurrentDictionary<int, long> statuses = new();
    private readonly ConcurrentQueue<string> sampleErrors = new();
    private readonly ShopperSessionGenerator generator;
    private readonly Lock generatorGate = new();
    private int sessionsStarted;
    private int sessionsFinished;
    private int sessionsCompleted;
    private int sessionsAbandoned;
    private long sent;
    private long accepted;
    private long duplicates;
    private long clientErrors;
    private long serverErrors;
    private long transportErrors;
    private long offers;

    /// <param name="handler">Optional handler (tests); the caller keeps ownership of it.</param>
    public ShopperSimulator(SimulationOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        this.options = options;
        var ownsHandler = handler is null;
        handler ??= new SocketsHttpHandler
        {
            UseProxy = false, // loopback only: never hand a request to a proxy elsewhere
            AllowAutoRedirect = false, // nor follow a redirect off the machine
            MaxConnectionsPerServer = options.Concurrency,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        http = new HttpClient(handler, disposeHandler: ownsHandler) { Timeout = options.RequestTimeout };
        endpoint = new Uri(options.AppUrl, $"api/merchants/{Uri.EscapeDataString(options.MerchantId)}/cart-events");
        generator = new ShopperSessionGenerator(options.Seed, options.Generator);
    }

    public SimulationProgress Progress => new(
        Volatile.Read(ref sessionsStarted), Volatile.Read(ref sessionsFinished), Interlocked.Read(ref sent), Interlocked.Read(ref offers), SessionTarget);

    private int? SessionTarget => options.Sessions ?? (options.Duration is null ? SimulationOptions.DefaultSessions : null);

    public async Task<SimulationSummary> RunAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stopSending.CancelAfter(options.Duration is { } d && d < options.MaxRunTime ? d : options.MaxRunTime);
        var pacer = new EventPacer(options.Rate);
        var target = SessionTarget;

        var workers = Enumerable.Range(0, options.Concurrency)
            .Select(_ => Task.Run(() => WorkAsync(pacer, target, stopSending.Token, cancellationToken), CancellationToken.None))
            .ToArray();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            http.Dispose();
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new SimulationSummary(
            options.Seed, sessionsStarted, sessionsFinished, sessionsCompleted, sessionsAbandoned, sent, accepted, duplicates,
            clientErrors, serverErrors, transportErrors, offers, LatencySummary.From(latencies.ToArray()), watch.Elapsed,
            statuses.OrderBy(p => p.Key).ToDictionary(p => p.Key, p => p.Value), [.. sampleErrors]);
    }

    private async Task WorkAsync(EventPacer pacer, int? target, CancellationToken stopSending, CancellationToken cancellationToken)
    {
        while (!stopSending.IsCancellationRequested)
        {
            var index = Interlocked.Increment(ref sessionsStarted);
            if (target is { } t && index > t)
            {
                Interlocked.Decrement(ref sessionsStarted);
                return;
            }

            var startedAt = DateTimeOffset.UtcNow;
            SimulatedSession session;
            lock (generatorGate)
            {
                session = generator.Next(startedAt);
            }

            try
            {
                if (await PlayAsync(session, index, pacer, stopSending).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref sessionsFinished);
                    if (session.Outcome == SessionOutcome.Completed)
                    {
                        Interlocked.Increment(ref sessionsCompleted);
                    }
                    else
                    {
                        Interlocked.Increment(ref sessionsAbandoned);
                    }
                }
            }
            catch (OperationCanceledException) when (stopSending.IsCancellationRequested)
            {
                // Time is up (or Ctrl-C): a visit cut short is simply not counted as finished.
                cancellationToken.ThrowIfCancellationRequested();
                return;
            }
        }
    }

    /// <summary>Sends one visit; false when the run ended before all of it was sent.</summary>
    private async Task<bool> PlayAsync(SimulatedSession session, int index, EventPacer pacer, CancellationToken stopSending)
    {
        // Per-visit randomness derived from the seed, so which events are swapped or repeated does not depend on
        // which worker happened to take the visit.
        var chance = new Random(SeedMix.Of(options.Seed, index));
        var stamps = RealTimes(session.Events, DateTimeOffset.UtcNow);
        var order = SendOrder(session.Events, chance);
        var started = Stopwatch.GetTimestamp();

        foreach (var e in order)
        {
            if (options.TimeScale > 0)
            {
                var due = TimeSpan.FromTicks((long)(e.Offset.Ticks / options.TimeScale));
                var wait = due - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stopSending).ConfigureAwait(false);
                }
            }

            await pacer.WaitAsync(stopSending).ConfigureAwait(false);
            e.Message.OccurredAt = stamps[e.Message.EventId!];
            var body = JsonSerializer.SerializeToUtf8Bytes(e.Message, AppJson.Options);
            await SendAsync(body).ConfigureAwait(false);
            if (options.DuplicateRate > 0 && chance.NextDouble() < options.DuplicateRate)
            {
                await pacer.WaitAsync(stopSending).ConfigureAwait(false);
                await SendAsync(body).ConfigureAwait(false);
            }
        }

        return true;
    }

    /// <summary>
    /// When each event happened on the real clock: the visit's real start plus its offset compressed by the time scale
    /// (each is sent once that time has come). With no waiting, the events are a millisecond apart and end at the
    /// visit's start, so shopper order survives and no stamp is ahead of the clock. The app checks event times
    /// against its own clock and measures idle time from them, so they must be real, never shopper time running
    /// ahead. A swapped or repeated delivery keeps its event's own time, as a storefront's retry does.
    /// </summary>
    internal Dictionary<string, DateTimeOffset> RealTimes(IReadOnlyList<SimulatedEvent> events, DateTimeOffset realStart)
    {
        var stamps = new Dictionary<string, DateTimeOffset>(events.Count, StringComparer.Ordinal);
        for (var i = 0; i < events.Count; i++)
        {
            stamps[events[i].Message.EventId!] = options.TimeScale > 0
                ? realStart + TimeSpan.FromTicks((long)(events[i].Offset.Ticks / options.TimeScale))
                : realStart - TimeSpan.FromMilliseconds(events.Count - 1 - i);
        }

        return stamps;
    }

    /// <summary>The visit's events in the order they are sent: shopper order with some neighbours swapped.</summary>
    internal List<SimulatedEvent> SendOrder(IReadOnlyList<SimulatedEvent> events, Random chance)
    {
        var order = new List<SimulatedEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if (i + 1 < events.Count && options.OutOfOrderRate > 0 && chance.NextDouble() < options.OutOfOrderRate)
            {
                // The later event overtakes: both go at the later one's time.
                order.Add(events[i + 1]);
                order.Add(events[i] with { Offset = events[i + 1].Offset });
                i++;
            }
            else
            {
                order.Add(events[i]);
            }
        }

        return order;
    }

    private async Task SendAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // Signed at send time, as a storefront does for every delivery (a retry included).
        request.Headers.TryAddWithoutValidation(WebhookSignatures.CartCallHeader, WebhookSignatures.SignCartCall(body, options.SigningSecret, DateTimeOffset.UtcNow));
        Interlocked.Increment(ref sent);
        var start = Stopwatch.GetTimestamp();
        try
        {
            // The request is not cancelled when time is up: an event that was sent gets its answer counted.
            using var response = await http.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false);
            latencies.Enqueue(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            switch (status)
            {
                case 202:
                    Interlocked.Increment(ref accepted);
                    ReadAccepted(text);
                    break;
                case >= 400 and < 500:
                    Interlocked.Increment(ref clientErrors);
                    NoteError($"{status}: {text}");
                    break;
                case >= 500:
                    Interlocked.Increment(ref serverErrors);
                    NoteError($"{status}: {text}");
                    break;
                default:
                    NoteError($"{status} (expected 202): {text}");
                    break;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref transportErrors);
            NoteError(ex is TaskCanceledException ? $"no answer within {options.RequestTimeout.TotalSeconds:0} s" : ex.Message);
        }
    }

    private void ReadAccepted(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.TryGetProperty("duplicate", out var dup) && dup.ValueKind == JsonValueKind.True)
            {
                Interlocked.Increment(ref duplicates);
            }

            if (root.TryGetProperty("offerProposed", out var offered) && offered.ValueKind == JsonValueKind.True)
            {
                Interlocked.Increment(ref offers);
            }
        }
        catch (JsonException)
        {
            NoteError("202 with a body that is not JSON: " + text);
        }
    }

    private void NoteError(string error)
    {
        if (sampleErrors.Count < 5)
        {
            sampleErrors.Enqueue(error.Length > 300 ? error[..300] + "…" : error);
        }
    }
}
