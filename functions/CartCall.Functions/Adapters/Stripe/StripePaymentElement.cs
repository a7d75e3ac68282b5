namespace CartCall.Functions.Adapters.Stripe;

/// <summary>
/// Where the widget takes a paid call's payment details: <paramref name="Adapter"/> <c>stripe</c> is Stripe.js
/// (<paramref name="Src"/>) with its Payment Element; <c>local</c> is the Stripe stand-in's page that stands in for it,
/// framed by the widget. Either way the card goes from the shopper's browser to the payment provider, never to CartCall.
/// </summary>
public sealed record PaymentElementView(string Adapter, Uri Src);

/// <summary>Picks the Payment Element for the configured Stripe.</summary>
public static class StripePaymentElement
{
    public static readonly Uri StripeJs = new("https://js.stripe.com/v3/");

    /// <summary>
    /// Null without a client secret (nothing to confirm). A loopback <see cref="StripeOptions.ApiBase"/> is the stand-in
    /// (the options validator allows plain http only there), whose page serves the same role in local runs and tests.
    /// </summary>
    public static PaymentElementView? For(StripeOptions options, string? clientSecret)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(clientSecret))
        {
            return null;
        }

        return options.ApiBase is { } api && StripeOptions.IsLoopback(api)
            ? new PaymentElementView("local", new Uri(api, "_standin/payment-element?embedded=1&client_secret=" + Uri.EscapeDataString(clientSecret)))
            : new PaymentElementView("stripe", StripeJs);
    }
}
