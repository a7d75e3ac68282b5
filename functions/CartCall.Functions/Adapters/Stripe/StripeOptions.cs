using System.Net;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.Stripe;

/// <summary>Stripe settings, section <c>CartCall:Stripe</c>.</summary>
public sealed class StripeOptions
{
    public const string Section = "CartCall:Stripe";

    /// <summary>Secret API key (<c>sk_live_…</c> / <c>sk_test_…</c>); from Key Vault in Azure.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Publishable key the widget's Payment Element uses; public.</summary>
    public string? PublishableKey { get; set; }

    /// <summary>Stripe's API base; set to the stand-in's address for local runs. Null: Stripe itself.</summary>
    public Uri? ApiBase { get; set; }

    /// <summary>Webhook signing secrets (<c>whsec_…</c>): one, or two while rolling the endpoint's secret.</summary>
    public List<string> WebhookSecrets { get; set; } = [];

    /// <summary>How old (or how far in the future) a signed webhook may be; Stripe's libraries default to 5 minutes.</summary>
    public TimeSpan WebhookTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Stripe.net's own retries (it adds an idempotency key to each retried request).</summary>
    public int MaxNetworkRetries { get; set; } = 2;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    internal static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Checks <see cref="StripeOptions"/> at start-up.</summary>
public sealed class StripeOptionsValidator : IValidateOptions<StripeOptions>
{
    public ValidateOptionsResult Validate(string? name, StripeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SecretKey) || !(options.SecretKey.StartsWith("sk_", StringComparison.Ordinal) || options.SecretKey.StartsWith("rk_", StringComparison.Ordinal)))
        {
            failures.Add("Stripe:SecretKey must be a secret (sk_) or restricted (rk_) API key.");
        }

        if (!string.IsNullOrEmpty(options.PublishableKey) && !options.PublishableKey.StartsWith("pk_", StringComparison.Ordinal))
        {
            failures.Add("Stripe:PublishableKey must start with pk_.");
        }

        if (options.ApiBase is { } api && (!api.IsAbsoluteUri || (api.Scheme != Uri.UriSchemeHttps && !StripeOptions.IsLoopback(api))))
        {
            failures.Add("Stripe:ApiBase must be an absolute https URL, or http on loopback (the stand-in).");
        }

        if (options.WebhookSecrets is not { Count: >= 1 and <= 2 } || options.WebhookSecrets.Any(s => string.IsNullOrEmpty(s) || !s.StartsWith("whsec_", StringComparison.Ordinal)))
        {
            failures.Add("Stripe:WebhookSecrets must hold one or two whsec_ secrets (two while rolling).");
        }

        if (options.WebhookTolerance <= TimeSpan.Zero || options.WebhookTolerance > TimeSpan.FromHours(1))
        {
            failures.Add("Stripe:WebhookTolerance must be positive and at most an hour.");
        }

        if (options.MaxNetworkRetries is < 0 or > 10)
        {
            failures.Add("Stripe:MaxNetworkRetries must be 0..10.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add("Stripe:Timeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
