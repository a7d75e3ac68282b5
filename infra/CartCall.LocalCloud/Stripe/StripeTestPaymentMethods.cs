namespace CartCall.LocalCloud.Stripe;

/// <summary>What confirming with a test payment method does.</summary>
/// <param name="DeclineCode">Stripe's <c>decline_code</c> for <c>card_declined</c> errors.</param>
/// <param name="ErrorCode">The error's <c>code</c>: <c>card_declined</c>, <c>expired_card</c>, <c>incorrect_cvc</c>…; null succeeds.</param>
public sealed record StripeTestCard(string Id, string Brand, string Last4, string? ErrorCode, string? DeclineCode, string? Message, string Label)
{
    public bool Succeeds => ErrorCode is null;
}

/// <summary>Stripe's documented test PaymentMethods (docs: testing, "Declined payments"), by id.</summary>
public static class StripeTestPaymentMethods
{
    public static IReadOnlyList<StripeTestCard> All { get; } =
    [
        new("pm_card_visa", "visa", "4242", null, null, null, "Visa — succeeds"),
        new("pm_card_visa_debit", "visa", "5556", null, null, null, "Visa debit — succeeds"),
        new("pm_card_mastercard", "mastercard", "4444", null, null, null, "Mastercard — succeeds"),
        new("pm_card_amex", "amex", "8431", null, null, null, "American Express — succeeds"),
        new("pm_card_chargeDeclined", "visa", "0002", "card_declined", "generic_decline", "Your card was declined.", "Declined (generic)"),
        new("pm_card_chargeDeclinedInsufficientFunds", "visa", "9995", "card_declined", "insufficient_funds", "Your card has insufficient funds.", "Declined: insufficient funds"),
        new("pm_card_chargeDeclinedLostCard", "visa", "9987", "card_declined", "lost_card", "Your card was declined.", "Declined: lost card"),
        new("pm_card_chargeDeclinedStolenCard", "visa", "9979", "card_declined", "stolen_card", "Your card was declined.", "Declined: stolen card"),
        new("pm_card_chargeDeclinedExpiredCard", "visa", "0069", "expired_card", null, "Your card has expired.", "Declined: expired card"),
        new("pm_card_chargeDeclinedIncorrectCvc", "visa", "0127", "incorrect_cvc", null, "Your card's security code is incorrect.", "Declined: incorrect CVC"),
        new("pm_card_chargeDeclinedProcessingError", "visa", "0119", "processing_error", null, "An error occurred while processing your card. Try again in a little bit.", "Declined: processing error"),
        new("pm_card_chargeDeclinedFraudulent", "visa", "0019", "card_declined", "fraudulent", "Your card was declined.", "Declined: fraudulent"),
    ];

    private static readonly Dictionary<string, StripeTestCard> ById = All.ToDictionary(c => c.Id, StringComparer.Ordinal);

    public static StripeTestCard? Find(string id) => ById.GetValueOrDefault(id);
}
