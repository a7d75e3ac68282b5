using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CartCall.Functions.Features.Billing;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace CartCall.Functions.Adapters.Stripe;

/// <summary>Why a Stripe webhook was refused (all answer 400; nothing is processed).</summary>
public enum StripeWebhookFailure
{
    MissingSignature,
    MalformedSignature,
    StaleTimestamp,
    BadSignature,
    MalformedPayload,
}

/// <summary>A verified event in CartCall's terms, or why the request was refused.</summary>
public sealed record StripeWebhookVerification(StripeWebhookFailure? Failure, string? Problem, PaymentEvent? Event)
{
    public bool Ok => Failure is null;
}

/// <summary>
/// Verifies <c>Stripe-Signature: t=…,v1=…[,v1=…]</c>: HMAC-SHA256 over <c>"{t}.{raw body}"</c> with the endpoint's secret,
/// compared in constant time, against either configured secret (so the secret can be rolled without dropping events),
/// with the timestamp within the tolerance either way (replays of old deliveries are refused).
/// </summary>
public sealed class StripeWebhookVerifier(IOptions<StripeOptions> options, TimeProvider time)
{
    public StripeWebhookVerification Verify(string payload, string? signatureHeader)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return Fail(StripeWebhookFailure.MissingSignature, "The Stripe-Signature header is missing.");
        }

        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in signatureHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var (name, value) = (part[..eq], part[(eq + 1)..]);
            if (name == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (name == "v1" && value.Length == 64)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // Not hex: ignored like any other unknown element.
                }
            }
        }

        if (timestamp is null || signatures.Count == 0)
        {
            return Fail(StripeWebhookFailure.MalformedSignature, "The Stripe-Signature header needs a timestamp (t=) and at least one v1 signature.");
        }

        var o = options.Value;
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp.Value, 0, 253402300799));
        if (age.Duration() > o.WebhookTolerance)
        {
            return Fail(StripeWebhookFailure.StaleTimestamp,
                $"The signature's timestamp is {Math.Round(age.TotalSeconds)} s from now, outside the {o.WebhookTolerance.TotalSeconds} s tolerance.");
        }

        var signed = Encoding.UTF8.GetBytes(timestamp.Value.ToString(CultureInfo.InvariantCulture) + "." + payload);
        var matched = false;
        foreach (var secret in o.WebhookSecrets)
        {
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
            // Every comparison runs, so timing does not tell which secret or signature was close.
            foreach (var candidate in signatures)
            {
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        if (!matched)
        {
            return Fail(StripeWebhookFailure.BadSignature, "No v1 signature matches the payload with any configured webhook secret.");
        }

        try
        {
            var stripeEvent = StripeNet.EventUtility.ParseEvent(payload, throwOnApiVersionMismatch: false);
            return new StripeWebhookVerification(null, null, ToPaymentEvent(stripeEvent));
        }
        catch (Exception e) when (e is StripeNet.StripeException or System.Text.Json.JsonException or Newtonsoft.Json.JsonException
            or InvalidOperationException or ArgumentException or FormatException)
        {
            return Fail(StripeWebhookFailure.MalformedPayload, "The signed payload is not a Stripe event: " + e.Message);
        }
    }

    /// <summary>The event in the port's terms; null payment for event types billing does not follow.</summary>
    private static PaymentEvent ToPaymentEvent(StripeNet.Event e)
    {
        var payment = e.Data?.Object is StripeNet.PaymentIntent pi ? StripePaymentProvider.Map(pi) : null;
        var callId = (e.Data?.Object as StripeNet.PaymentIntent)?.Metadata?.GetValueOrDefault("call_id");
        return new PaymentEvent(e.Id, e.Type, e.Created, payment, callId);
    }

    private static StripeWebhookVerification Fail(StripeWebhookFailure failure, string problem) => new(failure, problem, null);
}
