using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Storefront;

/// <summary>What became of one cart event the store sent to CartCall.</summary>
/// <param name="StatusCode">0 when no answer came (network error or timeout).</param>
/// <param name="ResponseBody">CartCall's answer (a CartEventAccepted or a problem), as sent.</param>
public sealed record StorefrontDelivery(
    string EventId, string SessionId, string Type, DateTimeOffset OccurredAt, int Attempts, int StatusCode, string? ResponseBody,
    DateTimeOffset AnsweredAt);

/// <summary>
/// The store backend's webhook sender: CartCall's cart-event webhook, signed as CartCall documents it
/// (<c>CartCall-Signature: t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256 of "t.body"&gt;</c>). Written from that description rather
/// than with the app's own helper, as any storefront would be; a test checks the app accepts what it signs.
/// Events are queued and sent in order by one worker, so a page never waits on CartCall and a slow CartCall never
/// reorders a session's events. Server errors and network failures are retried a few times with backoff.
/// </summary>
public sealed partial class CartCallWebhookClient : IAsyncDisposable
{
    public const string SignatureHeader = "CartCall-Signature";
    private const int MaxAttempts = 4;
    private const int MaxDeliveriesKept = 2_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _secret;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<CartEventBody> _queue = Channel.CreateBounded<CartEventBody>(new BoundedChannelOptions(5_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly List<StorefrontDelivery> _deliveries = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private int _inFlight;

    public CartCallWebhookClient(DemoStorefrontOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _endpoint = new Uri(options.AppBaseUrl!, $"api/merchants/{Uri.EscapeDataString(options.MerchantId)}/cart-events");
        _secret = options.SigningSecret;
        _time = options.TimeProvider;
        _logger = logger;
        // Storefronts time their webhooks out fast (Shopify: 5 s); so does this one.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(5) };
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Every delivery so far, oldest first (the most recent <see cref="MaxDeliveriesKept"/>).</summary>
    public IReadOnlyList<StorefrontDelivery> Deliveries
    {
        get
        {
            lock (_deliveries) return [.. _deliveries];
        }
    }

    /// <summary>Events queued or being sent.</summary>
    public int Pending => Volatile.Read(ref _inFlight);

    /// <summary>Queues an event; the cart is the whole cart after it, as the webhook expects.</summary>
    public async ValueTask EnqueueAsync(string sessionId, string type, IReadOnlyList<CartLine> lines, string currency, string? pageUrl, CancellationToken ct)
    {
        var body = new CartEventBody(
            Guid.NewGuid().ToString("N"), sessionId, _time.GetUtcNow(), type, pageUrl,
            new CartBody(currency, [.. lines.Select(l => new LineBody(l.Product.Sku, l.Product.Title, l.Quantity, l.Product.UnitPrice, l.Product.UnitCost))]));
        Interlocked.Increment(ref _inFlight);
        try
        {
            await _queue.Writer.WriteAsync(body, ct).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _inFlight);
            throw;
        }
    }

    /// <summary>The signature header for <paramref name="body"/> at <paramref name="at"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> body, string secret, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signed = new byte[t.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(t + ".", signed);
        body.CopyTo(signed.AsSpan(t.Length + 1));
        return $"t={t},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed))}";
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var body in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await SendAsync(body, _stopping.Token).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: events still queued are dropped, as a crashed storefront's would be.
        }
    }

    private async Task SendAsync(CartEventBody body, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json);
        var status = 0;
        string? answer = null;
        var attempt = 0;
        while (++attempt <= MaxAttempts)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(bytes) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                // Signed afresh on each attempt: the signature's timestamp must be recent.
                request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(bytes, _secret, _time.GetUtcNow()));
                using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
                status = (int)response.StatusCode;
                answer = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                if (status < 500 && status != 429)
                {
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                status = 0;
                answer = e.Message;
            }

            if (attempt < MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * Math.Pow(2, attempt - 1)), _time, ct).ConfigureAwait(false);
            }
        }

        if (status is < 200 or >= 300)
        {
            LogRefused(_logger, body.Type, body.SessionId, status, answer);
        }

        lock (_deliveries)
        {
            if (_deliveries.Count >= MaxDeliveriesKept)
            {
                _deliveries.RemoveRange(0, MaxDeliveriesKept / 10);
            }

            _deliveries.Add(new StorefrontDelivery(body.EventId, body.SessionId, body.Type, body.OccurredAt, Math.Min(attempt, MaxAttempts), status, answer, _time.GetUtcNow()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _worker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled mid-send while stopping.
        }

        _http.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "CartCall did not accept {Type} for session {SessionId}: {Status} {Answer}")]
    private static partial void LogRefused(ILogger logger, string type, string sessionId, int status, string? answer);

    private sealed record CartEventBody(string EventId, string SessionId, DateTimeOffset OccurredAt, string Type, string? PageUrl, CartBody Cart);

    private sealed record CartBody(string Currency, IReadOnlyList<LineBody> Items);

    private sealed record LineBody(string Sku, string Title, int Quantity, decimal UnitPrice, decimal UnitCost);
}
