using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.CartEvents;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// Runs webhook hooks over <see cref="SocketsHttpHandler"/>: one POST per attempt of the event as a CloudEvent in
/// <b>structured</b> content mode (<c>Content-Type: application/cloudevents+json</c>, the whole event in the body), signed
/// with the merchant's secrets in <c>CartCall-Signature</c> (the cart-webhook scheme), with an <c>Idempotency-Key</c> that
/// is the same on every retry and replay. Redirects are not followed. Each endpoint has its own circuit breaker (Polly),
/// counting transient failures only: a 4xx is the hook's answer about the request, not a sign the endpoint is down.
/// </summary>
public sealed partial class WebhookHookRunner : IHookRunner, IDisposable
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string HookIdHeader = "CartCall-Hook-Id";
    public const string AttemptHeader = "CartCall-Attempt";
    private const int MaxBreakers = 10_000;
    private const int ErrorSnippetBytes = 512;

    private readonly HttpClient client;
    private readonly HooksOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<WebhookHookRunner> logger;
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HookAttemptResult>> breakers = new(StringComparer.Ordinal);

    public WebhookHookRunner(IOptions<HooksOptions> options, TimeProvider time, ILogger<WebhookHookRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = this.options.Webhooks.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxResponseHeadersLength = 16,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (!this.options.AllowLoopbackWebhooks)
        {
            handler.ConnectCallback = ConnectToPublicAddressAsync;
        }

        // Each attempt has its own deadline (the registration's timeout), so the client's own is off.
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("CartCall-Hooks", "1.0"));
    }

    public HookKind Kind => HookKind.Webhook;

    public async Task<HookAttemptResult> RunAsync(HookInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var started = time.GetTimestamp();
        if (invocation.SigningSecrets.Count == 0)
        {
            return Result(started, HookOutcomeKind.Failed, false, "unsigned", "The merchant has no signing secret to sign webhook hooks with.");
        }

        if (!Uri.TryCreate(invocation.Hook.Target, UriKind.Absolute, out var url))
        {
            return Result(started, HookOutcomeKind.Failed, false, "bad-target", "The hook's target is not an absolute URL.");
        }

        var breaker = BreakerFor(url);
        try
        {
            return await breaker.ExecuteAsync(
                async token => await SendAsync(invocation, url, started, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException e)
        {
            LogCircuitOpen(invocation.Hook.MerchantId, invocation.Hook.HookId, url.GetLeftPart(UriPartial.Authority));
            return Result(started, HookOutcomeKind.Failed, true, "circuit-open",
                "The endpoint failed repeatedly; attempts are paused until its circuit closes.", retryAfter: e.RetryAfter);
        }
    }

    private async ValueTask<HookAttemptResult> SendAsync(HookInvocation invocation, Uri url, long started, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(invocation.Hook.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var content = new SignedContent(invocation.Payload, time);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.TryAddWithoutValidation(WebhookSignatures.CartCallHeader,
            WebhookSignatures.SignCartCall(invocation.Payload.Span, invocation.SigningSecrets, time.GetUtcNow()));
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, invocation.IdempotencyKey);
        request.Headers.TryAddWithoutValidation(HookIdHeader, invocation.Hook.HookId);
        request.Headers.TryAddWithoutValidation(AttemptHeader, invocation.Attempt.ToString(CultureInfo.InvariantCulture));

        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            return await ReadAsync(response, started, content.WritingStartedAt, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Result(started, HookOutcomeKind.TimedOut, true, "timeout",
                $"No complete answer within {invocation.Hook.Timeout.TotalMilliseconds:0} ms.", dispatchedAt: content.WritingStartedAt);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The handler's own connect timeout (ConnectTimeout) ends as a cancellation that is not ours.
            return Result(started, HookOutcomeKind.Failed, true, "network",
                $"No connection within {options.Webhooks.ConnectTimeout.TotalMilliseconds:0} ms.", dispatchedAt: content.WritingStartedAt);
        }
        catch (HttpRequestException e)
        {
            // Connect timeouts surface here too (as a cancelled connect wrapped by the handler).
            return Result(started, HookOutcomeKind.Failed, true, "network", $"{e.HttpRequestError}: {e.Message}", dispatchedAt: content.WritingStartedAt);
        }
    }

    private async Task<HookAttemptResult> ReadAsync(HttpResponseMessage response, long started, long? dispatchedAt, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        var status = "http " + code.ToString(CultureInfo.InvariantCulture);
        if (code is >= 200 and < 300)
        {
            var (body, tooLong) = await ReadCappedAsync(response.Content, options.Webhooks.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
            if (tooLong)
            {
                return Result(started, HookOutcomeKind.InvalidOutput, false, status,
                    $"The answer is longer than {options.Webhooks.MaxResponseBytes} bytes.", dispatchedAt: dispatchedAt);
            }

            var (answer, problem) = HookAnswerParser.Parse(body);
            return answer is null
                ? Result(started, HookOutcomeKind.InvalidOutput, false, status, "Invalid answer: " + problem, dispatchedAt: dispatchedAt)
                : Result(started, HookOutcomeKind.Answered, false, status, null, answer, dispatchedAt: dispatchedAt);
        }

        var (errorBody, _) = await ReadCappedAsync(response.Content, ErrorSnippetBytes, cancellationToken).ConfigureAwait(false);
        var snippet = errorBody.Length == 0 ? "" : ": " + Encoding.UTF8.GetString(errorBody).ReplaceLineEndings(" ");
        return code switch
        {
            >= 300 and < 400 => Result(started, HookOutcomeKind.Failed, false, status,
                $"Redirects are not followed (to {response.Headers.Location?.ToString() ?? "nowhere"}); register the final URL.", dispatchedAt: dispatchedAt),
            410 => Result(started, HookOutcomeKind.Failed, false, status,
                "410 Gone: the endpoint says it no longer exists; fix or disable the hook." + snippet, dispatchedAt: dispatchedAt),
            408 or 425 or 429 or >= 500 => Result(started, HookOutcomeKind.Failed, true, status,
                $"The endpoint answered {code}{snippet}", retryAfter: RetryAfter(response), dispatchedAt: dispatchedAt),
            _ => Result(started, HookOutcomeKind.Failed, false, status, $"The endpoint refused the event with {code}{snippet}", dispatchedAt: dispatchedAt),
        };
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Reads at most <paramref name="cap"/> bytes; says whether there was more (which is then not read).</summary>
    internal static async Task<(byte[] Body, bool TooLong)> ReadCappedAsync(HttpContent content, int cap, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > cap)
        {
            return ([], true);
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(cap + 1);
            try
            {
                var total = 0;
                int read;
                while (total <= cap && (read = await stream.ReadAsync(buffer.AsMemory(total, cap + 1 - total), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                }

                return total > cap ? ([], true) : (buffer.AsSpan(0, total).ToArray(), false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private ResiliencePipeline<HookAttemptResult> BreakerFor(Uri url)
    {
        var key = url.GetLeftPart(UriPartial.Path);
        if (breakers.Count >= MaxBreakers && !breakers.ContainsKey(key))
        {
            // A bound on memory; forgetting every endpoint's history at once is rare and harmless.
            breakers.Clear();
        }

        var o = options.Webhooks;
        return breakers.GetOrAdd(key, _ => new ResiliencePipelineBuilder<HookAttemptResult> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HookAttemptResult>
            {
                FailureRatio = o.BreakerFailureRatio,
                MinimumThroughput = o.BreakerMinimumThroughput,
                SamplingDuration = o.BreakerSamplingDuration,
                BreakDuration = o.BreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Transient: true }),
            })
            .Build());
    }

    /// <summary>Outside development, refuse to connect to loopback, private or link-local addresses whatever a name resolves to.</summary>
    private static async ValueTask<Stream> ConnectToPublicAddressAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken).ConfigureAwait(false);
        var allowed = addresses.Where(HookAddresses.IsPublic).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError,
                $"{context.DnsEndPoint.Host} resolves only to private or loopback addresses; webhooks must be public hosts.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private HookAttemptResult Result(
        long started, HookOutcomeKind kind, bool transient, string status, string? error, HookAnswer? answer = null,
        TimeSpan? retryAfter = null, long? dispatchedAt = null) =>
        new(kind, answer, transient, retryAfter, status, error, time.GetElapsedTime(started),
            dispatchedAt is { } at ? time.GetElapsedTime(started, at) : null);

    public void Dispose() => client.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hook {HookId} of merchant {MerchantId}: circuit open for {Endpoint}, attempt not made")]
    private partial void LogCircuitOpen(string merchantId, string hookId, string endpoint);

    /// <summary>The signed bytes as they are; notes when the handler starts writing them (the request is on its way).</summary>
    private sealed class SignedContent : HttpContent
    {
        private readonly ReadOnlyMemory<byte> body;
        private readonly TimeProvider time;

        public SignedContent(ReadOnlyMemory<byte> body, TimeProvider time)
        {
            this.body = body;
            this.time = time;
            Headers.ContentType = new MediaTypeHeaderValue(HookCloudEvent.ContentType) { CharSet = "utf-8" };
        }

        public long? WritingStartedAt { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            WritingStartedAt ??= time.GetTimestamp();
            await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
