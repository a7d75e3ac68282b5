using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.Tests.EventGrid;
using CartCall.Testing;
using static CartCall.LocalCloud.Tests.Stripe.StripeTestKit;

namespace CartCall.LocalCloud.Tests.Stripe;

/// <summary>Stripe's official Node client (npm <c>stripe</c> 23.1) against the stand-in.</summary>
public sealed class StripeStandInNodeClientTests
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "Stripe", "stripe-client.mjs");

    private static async Task<NodeScriptResult> RunAsync(Dictionary<string, string> env)
    {
        await RepoPaths.EnsureNpmPackageAsync("stripe");
        return await NodeScript.RunAsync(Script, env, TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    [Fact]
    public async Task NodeClient_HoldsCapturesDeclinesCancelsAndReplays_AsWithStripe()
    {
        await using var standIn = await StripeStandIn.StartAsync(Options(), CancellationToken.None);

        var result = await RunAsync(new() { ["STRIPE_MODE"] = "api", ["STRIPE_BASE"] = standIn.BaseAddress.AbsoluteUri, ["STRIPE_KEY"] = standIn.SecretKey });

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.LastJsonLine();
        var created = json.GetProperty("created");
        Assert.Equal("requires_payment_method", created.GetProperty("status").GetString());
        Assert.Equal("manual", created.GetProperty("capture_method").GetString());
        Assert.Equal("ca_node", created.GetProperty("metadata").GetProperty("call_id").GetString());
        Assert.Equal(created.GetProperty("id").GetString(), json.GetProperty("replayedId").GetString());
        Assert.Equal("StripeIdempotencyError", json.GetProperty("mismatch").GetProperty("name").GetString());
        Assert.Equal(1250, json.GetProperty("captured").GetProperty("amount_received").GetInt32());
        Assert.Equal(2000, json.GetProperty("confirmed").GetProperty("amount_capturable").GetInt32());
        Assert.Equal("succeeded", json.GetProperty("retrieved").GetProperty("status").GetString());
        var decline = json.GetProperty("decline");
        Assert.Equal("StripeCardError", decline.GetProperty("name").GetString());
        Assert.Equal("insufficient_funds", decline.GetProperty("decline_code").GetString());
        Assert.Equal(402, decline.GetProperty("statusCode").GetInt32());
        Assert.Equal("canceled", json.GetProperty("cancelled").GetProperty("status").GetString());
        Assert.Equal("resource_missing", json.GetProperty("missing").GetProperty("code").GetString());
        Assert.Equal(404, json.GetProperty("missing").GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task NodeClient_VerifiesTheStandInsWebhookSignatures()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await StripeStandIn.StartAsync(Options(hook.Endpoint), CancellationToken.None);
        await Client(standIn).V1.PaymentIntents.CreateAsync(Hold());
        Assert.True(await EventuallyAsync(() => hook.Requests.Count == 1));
        var delivery = hook.Requests[0];

        var result = await RunAsync(new()
        {
            ["STRIPE_MODE"] = "verify",
            ["STRIPE_PAYLOAD"] = delivery.Body,
            ["STRIPE_SIGNATURE"] = delivery.Header("Stripe-Signature")!,
            ["STRIPE_SECRET"] = WebhookSecret,
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.LastJsonLine();
        Assert.Equal("payment_intent.created", json.GetProperty("type").GetString());
        Assert.Equal("payment_intent", json.GetProperty("object").GetString());
        Assert.Equal("StripeSignatureVerificationError", json.GetProperty("wrongSecret").GetString());
    }
}
