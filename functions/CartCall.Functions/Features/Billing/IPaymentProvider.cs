using CartCall.Domain.Billing;

namespace CartCall.Functions.Features.Billing;

/// <summary>Where a shopper's payment stands at the provider, in CartCall's words.</summary>
public enum ProviderPaymentStatus
{
    /// <summary>Created; the shopper has not yet given a payment method (the Payment Element is waiting).</summary>
    AwaitingPaymentMethod,

    /// <summary>A method is attached but not confirmed.</summary>
    AwaitingConfirmation,

    /// <summary>The provider needs the shopper (3-D Secure) before the hold exists.</summary>
    RequiresAction,

    Processing,

    /// <summary>Authorised: the hold exists and may be captured up to <see cref="ProviderPayment.Capturable"/>.</summary>
    Held,

    Captured,

    Cancelled,
}

/// <summary>A payment as the provider reports it.</summary>
/// <param name="ClientSecret">What the browser's payment form needs to confirm; null once settled.</param>
public sealed record ProviderPayment(
    string Id,
    ProviderPaymentStatus Status,
    Money Amount,
    Money Capturable,
    Money Received,
    string? ClientSecret,
    string? CancellationReason = null,
    string? LastDeclineCode = null);

/// <summary>A hold to place for a paid call: created with manual capture, confirmed by the shopper's browser.</summary>
/// <param name="IdempotencyKey">Deterministic per call, so a retried accept creates one hold.</param>
/// <param name="PaymentMethod">Confirms server-side at once (tests and saved methods); null leaves it to the Payment Element.</param>
public sealed record HoldRequest(string CallId, string MerchantId, Money Amount, string Description, string IdempotencyKey, string? PaymentMethod = null);

/// <summary>
/// The payment-provider port: everything billing asks of a card processor, so the domain and the billing service
/// never see Stripe's types. Implementations are idempotent by the keys they are given.
/// </summary>
public interface IPaymentProvider
{
    /// <exception cref="PaymentDeclinedException">The card was declined (only when a payment method is given).</exception>
    /// <exception cref="PaymentProviderUnavailableException">Outage or network failure: retry later with the same key.</exception>
    Task<ProviderPayment> CreateHoldAsync(HoldRequest request, CancellationToken cancellationToken);

    Task<ProviderPayment> GetAsync(string paymentId, CancellationToken cancellationToken);

    /// <summary>Captures <paramref name="amount"/> (at most what is capturable) and releases the rest.</summary>
    /// <exception cref="PaymentStateException">The payment is no longer capturable (cancelled, expired, captured).</exception>
    Task<ProviderPayment> CaptureAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken);

    /// <exception cref="PaymentStateException">The payment can no longer be cancelled (captured).</exception>
    Task<ProviderPayment> CancelAsync(string paymentId, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Gives <paramref name="amount"/> of a captured payment back to the shopper.</summary>
    /// <exception cref="PaymentStateException">Nothing (or not that much) is left to refund.</exception>
    Task<ProviderRefund> RefundAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>A refund as the provider reports it.</summary>
public sealed record ProviderRefund(string Id, Money Amount, string Status);

/// <summary>The provider could not be reached or failed: nothing is known to have happened; retry with the same key.</summary>
public sealed class PaymentProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The card was declined.</summary>
public sealed class PaymentDeclinedException(string code, string? declineCode, string message, ProviderPayment? payment)
    : Exception(message)
{
    public string Code { get; } = code;

    public string? DeclineCode { get; } = declineCode;

    public ProviderPayment? Payment { get; } = payment;
}

/// <summary>The payment is not in a state that allows the operation; <see cref="Current"/> is how it is now.</summary>
public sealed class PaymentStateException(string message, ProviderPayment current) : Exception(message)
{
    public ProviderPayment Current { get; } = current;
}

/// <summary>A verified provider event (e.g. Stripe's <c>payment_intent.*</c>) in the port's terms.</summary>
/// <param name="CallId">The call the payment was for, from the payment's metadata.</param>
public sealed record PaymentEvent(string Id, string Type, DateTime Created, ProviderPayment? Payment, string? CallId);
