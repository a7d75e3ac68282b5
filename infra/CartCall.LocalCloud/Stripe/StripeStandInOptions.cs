using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Stripe;

/// <summary>A webhook endpoint the stand-in delivers <c>payment_intent.*</c> events to.</summary>
public sealed class StripeWebhookEndpointOptions
{
    /// <summary>Where events are POSTed; must be on loopback.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// Signing secrets (<c>whsec_…</c>), newest first. Each delivery carries one <c>v1</c> signature per secret, as Stripe
    /// does while an endpoint's secret is being rolled.
    /// </summary>
    public List<string> Secrets { get; set; } = [];

    /// <summary>Event types to send; empty means every event (Stripe's <c>*</c>).</summary>
    public List<string> EnabledEvents { get; set; } = [];

    internal IEnumerable<string> Problems(string path)
    {
        if (Url is null || !Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https"))
        {
            yield return $"{path}:Url must be an absolute http(s) URL.";
        }
        else if (!Url.IsLoopback)
        {
            yield return $"{path}:Url must be on loopback (the stand-in never leaves the machine).";
        }

        if (Secrets is not { Count: >= 1 and <= 2 } || Secrets.Any(s => string.IsNullOrEmpty(s) || !s.StartsWith("whsec_", StringComparison.Ordinal)))
        {
            yield return $"{path}:Secrets must hold one or two whsec_ secrets.";
        }
    }
}

/// <summary>Settings of the local Stripe (PaymentIntents, test payment methods, idempotency, signed webhooks).</summary>
public sealed class StripeStandInOptions
{
    public const string DefaultSecretKey = "sk_test_cartcall_local_0000000000000000";
    public const string DefaultPublishableKey = "pk_test_cartcall_local_0000000000000000";

    /// <summary>Stripe.net 53.1 and stripe-node 23.1 speak this version; events carry it so their parsers accept them.</summary>
    public const string DefaultApiVersion = "2026-10-28.endive";

    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Secret keys the API accepts (Bearer or basic auth, as Stripe takes them).</summary>
    public List<string> SecretKeys { get; set; } = [DefaultSecretKey];

    /// <summary>The key the Payment Element page uses: it may only retrieve and confirm with the client secret.</summary>
    public string PublishableKey { get; set; } = DefaultPublishableKey;

    /// <summary>The account's API version, stamped on events.</summary>
    public string ApiVersion { get; set; } = DefaultApiVersion;

    public List<StripeWebhookEndpointOptions> WebhookEndpoints { get; set; } = [];

    /// <summary>Delays between webhook attempts; the last repeats. Stripe retries for up to three days; tests compress it.</summary>
    public List<TimeSpan> WebhookRetrySchedule { get; set; } =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(12),
    ];

    /// <summary>Attempts per event and endpoint before the stand-in gives up.</summary>
    public int WebhookMaxAttempts { get; set; } = 8;

    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an idempotency key's result is kept (Stripe: at least 24 hours).</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Uncaptured PaymentIntents are cancelled this long after the hold (cards: 7 days).</summary>
    public TimeSpan AuthorizationWindow { get; set; } = TimeSpan.FromDays(7);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Requests and deliveries kept for inspection.</summary>
    public int MaxRecords { get; set; } = 10_000;

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    internal void Validate()
    {
        var errors = new List<string>();
        if (Port is < 0 or > 65535) errors.Add("Stripe:Port must be 0 (free) or 1-65535.");
        if (SecretKeys is not { Count: > 0 } || SecretKeys.Any(k => k is null || !k.StartsWith("sk_test_", StringComparison.Ordinal)))
            errors.Add("Stripe:SecretKeys must hold at least one sk_test_ key (the stand-in is a test-mode Stripe).");
        if (PublishableKey is null || !PublishableKey.StartsWith("pk_test_", StringComparison.Ordinal))
            errors.Add("Stripe:PublishableKey must be a pk_test_ key.");
        if (string.IsNullOrWhiteSpace(ApiVersion)) errors.Add("Stripe:ApiVersion is required.");
        foreach (var (endpoint, i) in (WebhookEndpoints ?? []).Select((e, i) => (e, i)))
        {
            errors.AddRange(endpoint.Problems($"Stripe:WebhookEndpoints:{i}"));
        }

        if (WebhookRetrySchedule is not { Count: > 0 } || WebhookRetrySchedule.Any(d => d <= TimeSpan.Zero))
            errors.Add("Stripe:WebhookRetrySchedule needs at least one positive delay.");
        if (WebhookMaxAttempts is < 1 or > 100) errors.Add("Stripe:WebhookMaxAttempts must be 1-100.");
        if (WebhookTimeout <= TimeSpan.Zero) errors.Add("Stripe:WebhookTimeout must be positive.");
        if (IdempotencyKeyLifetime <= TimeSpan.Zero) errors.Add("Stripe:IdempotencyKeyLifetime must be positive.");
        if (AuthorizationWindow <= TimeSpan.Zero) errors.Add("Stripe:AuthorizationWindow must be positive.");
        if (TimeProvider is null) errors.Add("Stripe:TimeProvider is required.");
        if (MaxRecords < 1) errors.Add("Stripe:MaxRecords must be at least 1.");
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Stripe stand-in options: " + string.Join(" ", errors));
        }
    }
}
