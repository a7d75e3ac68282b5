using System.Globalization;
using CartCall.Functions.Adapters.Stripe;
using CartCall.Functions.Tests.Features.Billing;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace CartCall.Functions.Tests.Adapters.Stripe;

/// <summary>Signatures made by Stripe.net's own signing helper, checked by CartCall's verifier.</summary>
public sealed class StripeWebhookVerifierTests
{
    private const string Payload = """
        {"id":"evt_1","object":"event","api_version":"2026-10-28.endive","created":1764547200,"livemode":false,"pending_webhooks":1,
         "request":{"id":"req_1","idempotency_key":null},"type":"payment_intent.amount_capturable_updated",
         "data":{"object":{"id":"pi_1","object":"payment_intent","amount":1500,"amount_capturable":1500,"amount_received":0,
         "capture_method":"manual","client_secret":"pi_1_secret_x","currency":"eur","livemode":false,"status":"requires_capture",
         "metadata":{"call_id":"ca_1","merchant_id":"demo"}}}}
        """;

    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static StripeWebhookVerifier Verifier(TimeSpan? tolerance = null) => new(
        Options.Create(new StripeOptions
        {
            SecretKey = "sk_test_x",
            WebhookSecrets = [BillingInfrastructure.WebhookSecret, BillingInfrastructure.OldWebhookSecret],
            WebhookTolerance = tolerance ?? TimeSpan.FromMinutes(5),
        }), new FixedClock(Now));

    private static string Header(string secret, DateTimeOffset at, string payload = Payload)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={StripeNet.EventUtility.ComputeSignature(secret, t, payload)}";
    }

    [Fact]
    public void ASignatureWithTheCurrentSecret_Verifies_AndYieldsTheEventInCartCallsTerms()
    {
        var result = Verifier().Verify(Payload, Header(BillingInfrastructure.WebhookSecret, Now.AddSeconds(-30)));

        Assert.True(result.Ok, result.Problem);
        Assert.Equal("payment_intent.amount_capturable_updated", result.Event!.Type);
        Assert.Equal("ca_1", result.Event.CallId);
        Assert.Equal(Functions.Features.Billing.ProviderPaymentStatus.Held, result.Event.Payment!.Status);
        Assert.Equal(1500, result.Event.Payment.Capturable.Minor);
    }

    [Fact]
    public void ASignatureWithThePreviousSecret_StillVerifies_WhileRotating() =>
        Assert.True(Verifier().Verify(Payload, Header(BillingInfrastructure.OldWebhookSecret, Now)).Ok);

    [Fact]
    public void OneGoodSignatureAmongSeveral_Verifies() =>
        Assert.True(Verifier().Verify(Payload, Header("whsec_unknown", Now) + "," + Header(BillingInfrastructure.WebhookSecret, Now).Split(',')[1]).Ok);

    [Theory]
    [InlineData(null, StripeWebhookFailure.MissingSignature)]
    [InlineData("", StripeWebhookFailure.MissingSignature)]
    [InlineData("v1=abc", StripeWebhookFailure.MalformedSignature)]
    [InlineData("t=1764547200", StripeWebhookFailure.MalformedSignature)]
    [InlineData("garbage", StripeWebhookFailure.MalformedSignature)]
    public void MissingOrMalformedHeaders_AreRefused(string? header, StripeWebhookFailure failure) =>
        Assert.Equal(failure, Verifier().Verify(Payload, header).Failure);

    [Fact]
    public void AnotherSecret_OrATamperedBody_IsABadSignature()
    {
        Assert.Equal(StripeWebhookFailure.BadSignature, Verifier().Verify(Payload, Header("whsec_someone_else", Now)).Failure);
        var tampered = Payload.Replace("\"amount\":1500", "\"amount\":1", StringComparison.Ordinal);
        Assert.Equal(StripeWebhookFailure.BadSignature, Verifier().Verify(tampered, Header(BillingInfrastructure.WebhookSecret, Now)).Failure);
    }

    [Fact]
    public void AStaleOrFutureTimestamp_IsRefused_EvenWhenTheSignatureMatches()
    {
        var stale = Verifier().Verify(Payload, Header(BillingInfrastructure.WebhookSecret, Now.AddMinutes(-6)));
        Assert.Equal(StripeWebhookFailure.StaleTimestamp, stale.Failure);
        Assert.Contains("tolerance", stale.Problem);
        Assert.Equal(StripeWebhookFailure.StaleTimestamp, Verifier().Verify(Payload, Header(BillingInfrastructure.WebhookSecret, Now.AddMinutes(6))).Failure);
        Assert.True(Verifier(TimeSpan.FromMinutes(10)).Verify(Payload, Header(BillingInfrastructure.WebhookSecret, Now.AddMinutes(-6))).Ok);
    }

    [Fact]
    public void ASignedBodyThatIsNotAnEvent_IsRefused() =>
        Assert.Equal(StripeWebhookFailure.MalformedPayload, Verifier().Verify("not json", Header(BillingInfrastructure.WebhookSecret, Now, "not json")).Failure);

    [Fact]
    public void Options_RefuseMissingKeysAndSecrets()
    {
        var result = new StripeOptionsValidator().Validate(null, new StripeOptions { SecretKey = "pk_test_x", ApiBase = new Uri("http://stripe.example"), WebhookSecrets = ["a", "b", "c"] });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("SecretKey"));
        Assert.Contains(result.Failures!, f => f.Contains("ApiBase"));
        Assert.Contains(result.Failures!, f => f.Contains("WebhookSecrets"));
        Assert.True(new StripeOptionsValidator().Validate(null, new StripeOptions
        {
            SecretKey = "sk_test_x", ApiBase = new Uri("http://127.0.0.1:5000"), WebhookSecrets = ["whsec_1"],
        }).Succeeded);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
