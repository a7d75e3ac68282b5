using System.Net;
using CartCall.Domain.Billing;
using CartCall.Functions.Features.Billing;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace CartCall.Functions.Adapters.Stripe;

/// <summary>
/// The payment-provider port on Stripe's PaymentIntents, through Stripe.net: a hold is a PaymentIntent with manual
/// capture; capture takes an amount; every mutating call carries CartCall's deterministic idempotency key.
/// </summary>
public sealed partial class StripePaymentProvider : IPaymentProvider
{
    private readonly StripeNet.PaymentIntentService intents;
    private readonly StripeNet.RefundService refunds;
    private readonly ILogger<StripePaymentProvider> logger;

    public StripePaymentProvider(StripeNet.IStripeClient client, ILogger<StripePaymentProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        intents = new StripeNet.PaymentIntentService(client);
        refunds = new StripeNet.RefundService(client);
        this.logger = logger;
    }

    /// <summary>The Stripe.net client for the configured key and base (the stand-in's address locally).</summary>
    public static StripeNet.StripeClient CreateClient(StripeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = options.Timeout };
        return new StripeNet.StripeClient(new StripeNet.StripeClientOptions
        {
            ApiKey = options.SecretKey,
            ApiBase = options.ApiBase?.AbsoluteUri.TrimEnd('/'),
            HttpClient = new StripeNet.SystemNetHttpClient(http, options.MaxNetworkRetries),
        });
    }

    public async Task<ProviderPayment> CreateHoldAsync(HoldRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var create = new StripeNet.PaymentIntentCreateOptions
        {
            Amount = request.Amount.Minor,
            Currency = request.Amount.Currency.Code.ToLowerInvariant(),
            CaptureMethod = "manual",
            Description = request.Description,
            Metadata = new Dictionary<string, string> { ["call_id"] = request.CallId, ["merchant_id"] = request.MerchantId },
            AllowedPaymentMethodTypes = ["card"],
        };
        if (request.PaymentMethod is not null)
        {
            create.PaymentMethod = request.PaymentMethod;
            create.Confirm = true;
        }

        var intent = await CallAsync(() => intents.CreateAsync(create, Key(request.IdempotencyKey), cancellationToken), null, cancellationToken).ConfigureAwait(false);
        LogHold(logger, request.CallId, intent.Id, request.Amount.ToString());
        return Map(intent);
    }

    public async Task<ProviderPayment> GetAsync(string paymentId, CancellationToken cancellationToken) =>
        Map(await CallAsync(() => intents.GetAsync(paymentId, cancellationToken: cancellationToken), null, cancellationToken).ConfigureAwait(false));

    public async Task<ProviderPayment> CaptureAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        var options = new StripeNet.PaymentIntentCaptureOptions { AmountToCapture = amount.Minor };
        var intent = await CallAsync(() => intents.CaptureAsync(paymentId, options, Key(idempotencyKey), cancellationToken), paymentId, cancellationToken).ConfigureAwait(false);
        return Map(intent);
    }

    public async Task<ProviderPayment> CancelAsync(string paymentId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var options = new StripeNet.PaymentIntentCancelOptions { CancellationReason = "abandoned" };
        var intent = await CallAsync(() => intents.CancelAsync(paymentId, options, Key(idempotencyKey), cancellationToken), paymentId, cancellationToken).ConfigureAwait(false);
        return Map(intent);
    }

    public async Task<ProviderRefund> RefundAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken)
    {
        var options = new StripeNet.RefundCreateOptions { PaymentIntent = paymentId, Amount = amount.Minor, Reason = "requested_by_customer" };
        StripeNet.Refund refund;
        try
        {
            refund = await refunds.CreateAsync(options, Key(idempotencyKey), cancellationToken).ConfigureAwait(false);
        }
        catch (StripeNet.StripeException e) when (e.HttpStatusCode == HttpStatusCode.BadRequest && e.StripeError?.Type is "invalid_request_error" or "idempotency_error")
        {
            var current = await GetAsync(paymentId, cancellationToken).ConfigureAwait(false);
            throw new PaymentStateException(e.StripeError?.Message ?? e.Message, current);
        }
        catch (StripeNet.StripeException e) when ((int)e.HttpStatusCode >= 500 || e.HttpStatusCode is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests or 0)
        {
            throw new PaymentProviderUnavailableException($"Stripe answered {(int)e.HttpStatusCode}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new PaymentProviderUnavailableException("Stripe could not be reached: " + e.Message, e);
        }

        return new ProviderRefund(refund.Id, new Money(refund.Amount, Currency.Of(refund.Currency.ToUpperInvariant())), refund.Status);
    }

    /// <summary>CartCall's view of a Stripe PaymentIntent (also used for webhook payloads).</summary>
    public static ProviderPayment Map(StripeNet.PaymentIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        var currency = Currency.Of(intent.Currency.ToUpperInvariant());
        var status = intent.Status switch
        {
            "requires_payment_method" => ProviderPaymentStatus.AwaitingPaymentMethod,
            "requires_confirmation" => ProviderPaymentStatus.AwaitingConfirmation,
            "requires_action" => ProviderPaymentStatus.RequiresAction,
            "processing" => ProviderPaymentStatus.Processing,
            "requires_capture" => ProviderPaymentStatus.Held,
            "succeeded" => ProviderPaymentStatus.Captured,
            "canceled" => ProviderPaymentStatus.Cancelled,
            var other => throw new InvalidOperationException($"Unknown PaymentIntent status '{other}'."),
        };
        var settled = status is ProviderPaymentStatus.Captured or ProviderPaymentStatus.Cancelled;
        return new ProviderPayment(intent.Id, status, new Money(intent.Amount, currency), new Money(intent.AmountCapturable, currency),
            new Money(intent.AmountReceived, currency), settled ? null : intent.ClientSecret, intent.CancellationReason,
            intent.LastPaymentError?.DeclineCode ?? intent.LastPaymentError?.Code);
    }

    private static StripeNet.RequestOptions Key(string idempotencyKey) => new() { IdempotencyKey = idempotencyKey };

    /// <summary>Translates Stripe's failures into the port's: outages retry, declines and wrong states are answers.</summary>
    private async Task<StripeNet.PaymentIntent> CallAsync(Func<Task<StripeNet.PaymentIntent>> call, string? paymentId, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (StripeNet.StripeException e) when (e.StripeError?.Type == "card_error")
        {
            var current = e.StripeError.PaymentIntent is { } pi ? Map(pi) : null;
            throw new PaymentDeclinedException(e.StripeError.Code ?? "card_declined", e.StripeError.DeclineCode, e.StripeError.Message ?? e.Message, current);
        }
        catch (StripeNet.StripeException e) when (paymentId is not null && e.HttpStatusCode == HttpStatusCode.BadRequest
            && (e.StripeError?.Code == "payment_intent_unexpected_state" || e.StripeError?.Type == "idempotency_error"))
        {
            // Already captured, cancelled or expired: report how it stands so the caller can settle the books on facts.
            var current = Map(await CallAsync(() => intents.GetAsync(paymentId, cancellationToken: cancellationToken), null, cancellationToken).ConfigureAwait(false));
            throw new PaymentStateException(e.StripeError?.Message ?? e.Message, current);
        }
        catch (StripeNet.StripeException e) when ((int)e.HttpStatusCode >= 500 || e.HttpStatusCode is HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests or 0)
        {
            LogUnavailable(logger, (int)e.HttpStatusCode, e.StripeError?.Type);
            throw new PaymentProviderUnavailableException($"Stripe answered {(int)e.HttpStatusCode}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            LogUnavailable(logger, 0, "network");
            throw new PaymentProviderUnavailableException("Stripe could not be reached: " + e.Message, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PaymentProviderUnavailableException("Stripe did not answer in time.", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hold for call {CallId}: PaymentIntent {PaymentIntentId} for {Amount}")]
    private static partial void LogHold(ILogger logger, string callId, string paymentIntentId, string amount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe unavailable: status {Status}, {ErrorType}")]
    private static partial void LogUnavailable(ILogger logger, int status, string? errorType);
}
