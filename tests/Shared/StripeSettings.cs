namespace CartCall.Testing;

/// <summary>
/// App settings for <c>CartCall:Stripe</c> as tests set them: the app validates them at start-up, so every fixture
/// needs them, pointed at a Stripe stand-in on loopback or, where a collection never pays, at a closed loopback port.
/// </summary>
public static class StripeSettings
{
    /// <summary>The stand-in's default secret key (StripeStandInOptions.DefaultSecretKey).</summary>
    public const string SecretKey = "sk_test_cartcall_local_0000000000000000";

    public const string PublishableKey = "pk_test_cartcall_local_0000000000000000";

    /// <summary>The webhook signing secret of every test app.</summary>
    public const string WebhookSecret = "whsec_cartcall_tests_0123456789abcdef";

    /// <summary>Settings for a Stripe at <paramref name="apiBase"/> (a stand-in), or at a closed loopback port when null.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> For(Uri? apiBase, string secretKey = SecretKey, string webhookSecret = WebhookSecret)
    {
        yield return new("CartCall:Stripe:SecretKey", secretKey);
        yield return new("CartCall:Stripe:PublishableKey", PublishableKey);
        yield return new("CartCall:Stripe:ApiBase", (apiBase ?? new Uri($"http://127.0.0.1:{Azurite.FreePort()}/")).AbsoluteUri);
        yield return new("CartCall:Stripe:WebhookSecrets:0", webhookSecret);
        // Tests decide when Stripe is down; Stripe.net's own retries would only slow them.
        yield return new("CartCall:Stripe:MaxNetworkRetries", "0");
        yield return new("CartCall:Stripe:Timeout", "00:00:10");
    }

    public static void AddTo(IDictionary<string, string?> settings, Uri? apiBase = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var (key, value) in For(apiBase))
        {
            settings[key] = value;
        }
    }
}
