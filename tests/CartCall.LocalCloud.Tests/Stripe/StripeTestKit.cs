using CartCall.LocalCloud.Stripe;
using Stripe;

namespace CartCall.LocalCloud.Tests.Stripe;

/// <summary>Stripe.net pointed at a stand-in, with client retries off so each test sees exactly one request per call.</summary>
internal static class StripeTestKit
{
    public const string WebhookSecret = "whsec_cartcall_test_secret_0123456789";

    public static StripeStandInOptions Options(Uri? webhook = null, params string[] secrets) => new()
    {
        WebhookEndpoints = webhook is null ? [] : [new StripeWebhookEndpointOptions { Url = webhook, Secrets = secrets.Length > 0 ? [.. secrets] : [WebhookSecret] }],
        WebhookRetrySchedule = [TimeSpan.FromMilliseconds(100)],
        WebhookMaxAttempts = 4,
    };

    public static StripeClient Client(StripeStandIn standIn, string? apiKey = null, int retries = 0) =>
        new(new StripeClientOptions
        {
            ApiKey = apiKey ?? standIn.SecretKey,
            ApiBase = standIn.BaseAddress.AbsoluteUri.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(new HttpClient(new SocketsHttpHandler { UseProxy = false }), maxNetworkRetries: retries),
        });

    public static PaymentIntentCreateOptions Hold(long amount = 1500, string currency = "eur") => new()
    {
        Amount = amount,
        Currency = currency,
        CaptureMethod = "manual",
        AllowedPaymentMethodTypes = ["card"],
        Metadata = new Dictionary<string, string> { ["call_id"] = "ca_123", ["merchant_id"] = "demo" },
        Description = "CartCall premium call",
    };

    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(25);
        }

        return condition();
    }
}
