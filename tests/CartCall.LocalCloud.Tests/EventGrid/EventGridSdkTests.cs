using System.Text.Json;
using Azure;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using CartCall.LocalCloud.EventGrid;
using CartCall.Testing;
using static CartCall.LocalCloud.Tests.EventGrid.EventGridTestKit;

namespace CartCall.LocalCloud.Tests.EventGrid;

/// <summary>Microsoft's own clients (npm @azure/eventgrid, NuGet Azure.Messaging.EventGrid) against the stand-in.</summary>
public sealed class EventGridSdkTests
{
    private static readonly string PublishScript = Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "EventGrid", "publish-events.mjs");

    private static async Task<NodeScriptResult> PublishWithJsSdkAsync(
        EventGridStandIn standIn, string schema, object events, string key, string auth = "key")
    {
        await RepoPaths.EnsureNpmPackagesAsync(["@azure/eventgrid"]);
        return await NodeScript.RunAsync(PublishScript, new Dictionary<string, string>
        {
            ["EG_ENDPOINT"] = standIn.Endpoint.AbsoluteUri,
            ["EG_KEY"] = key,
            ["EG_SCHEMA"] = schema,
            ["EG_EVENTS"] = JsonSerializer.Serialize(events),
            ["EG_AUTH"] = auth,
        }, TimeSpan.FromSeconds(60), CancellationToken.None);
    }

    [Fact]
    public async Task JsSdk_PublishesCloudEvents_SubscriberReceivesEachAfterOptionsHandshake()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("cart-events", hook.Endpoint)), CancellationToken.None);

        var result = await PublishWithJsSdkAsync(standIn, "CloudEvent", new object[]
        {
            new { type = "CartCall.Cart.Updated", source = "/stores/demo", subject = "carts/1", data = new { total = 42 } },
            new { type = "CartCall.Offer.Accepted", source = "/stores/demo", data = new { offerId = "o-7" } },
        }, TopicKey);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.LastJsonLine().GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 2), $"notifications: {hook.Notifications.Count}");

        var handshake = hook.Requests[0];
        Assert.Equal("OPTIONS", handshake.Method);
        Assert.False(string.IsNullOrEmpty(handshake.Header("WebHook-Request-Origin")));

        var received = hook.Notifications.ToDictionary(n => n.BodyArray.Single()!["type"]!.GetValue<string>());
        var updated = received["CartCall.Cart.Updated"];
        Assert.StartsWith("application/cloudevents-batch+json", updated.Header("Content-Type"));
        Assert.Equal("cart-events", updated.Header("aeg-subscription-name"));
        Assert.Equal("0", updated.Header("aeg-delivery-count"));
        Assert.Equal("1.0", updated.Header("aeg-metadata-version"));
        var cloudEvent = updated.BodyArray.Single()!;
        Assert.Equal(cloudEvent["id"]!.GetValue<string>(), updated.Header("aeg-output-event-id"));
        Assert.Equal("1.0", cloudEvent["specversion"]!.GetValue<string>());
        Assert.Equal("carts/1", cloudEvent["subject"]!.GetValue<string>());
        Assert.Equal(42, cloudEvent["data"]!["total"]!.GetValue<int>());
        Assert.Equal("o-7", received["CartCall.Offer.Accepted"].BodyArray.Single()!["data"]!["offerId"]!.GetValue<string>());
    }

    [Fact]
    public async Task JsSdk_PublishesEventGridSchemaEvent_SubscriberReceivesItAfterValidationEvent()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("legacy", hook.Endpoint, EventDeliverySchema.EventGrid)), CancellationToken.None);

        var result = await PublishWithJsSdkAsync(standIn, "EventGrid", new object[]
        {
            new { eventType = "CartCall.Billing.Charged", subject = "calls/9", dataVersion = "1.0", data = new { cents = 150 } },
        }, TopicKey);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1), $"requests: {hook.Requests.Count}");

        var validation = hook.Requests[0];
        Assert.Equal("SubscriptionValidation", validation.Header("aeg-event-type"));
        Assert.Equal("Microsoft.EventGrid.SubscriptionValidationEvent", validation.BodyArray.Single()!["eventType"]!.GetValue<string>());

        var notification = hook.Notifications.Single();
        Assert.StartsWith("application/json", notification.Header("Content-Type"));
        Assert.Equal("1.0", notification.Header("aeg-data-version"));
        var delivered = notification.BodyArray.Single()!;
        Assert.Equal("CartCall.Billing.Charged", delivered["eventType"]!.GetValue<string>());
        Assert.Equal(standIn.TopicResourceId, delivered["topic"]!.GetValue<string>());
        Assert.Equal(150, delivered["data"]!["cents"]!.GetValue<int>());
        Assert.Equal(SubscriptionValidationState.Validated, standIn.Subscriptions.Single().State);
    }

    [Fact]
    public async Task JsSdk_PublishWithWrongKey_FailsWith401AndNothingIsDelivered()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("cart-events", hook.Endpoint)), CancellationToken.None);
        var wrongKey = Convert.ToBase64String(new byte[32]);

        var result = await PublishWithJsSdkAsync(standIn, "CloudEvent", new object[]
        {
            new { type = "CartCall.Cart.Updated", source = "/stores/demo", data = new { total = 1 } },
        }, wrongKey);

        Assert.Equal(2, result.ExitCode);
        var json = result.LastJsonLine();
        Assert.Equal(401, json.GetProperty("statusCode").GetInt32());
        Assert.Contains("aeg-sas-key", json.GetProperty("message").GetString());
        Assert.Empty(standIn.Deliveries);
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task JsSdk_PublishWithSasToken_IsAcceptedAndDelivered()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("cart-events", hook.Endpoint)), CancellationToken.None);

        var result = await PublishWithJsSdkAsync(standIn, "CloudEvent", new object[]
        {
            new { type = "CartCall.Cart.Updated", source = "/stores/demo", data = new { total = 3 } },
        }, TopicKey, auth: "sas");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
    }

    [Fact]
    public async Task DotNetClient_PublishesCloudEventWithKey_SubscriberReceivesIt()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("cart-events", hook.Endpoint)), CancellationToken.None);
        var client = new EventGridPublisherClient(standIn.Endpoint, new AzureKeyCredential(TopicKey),
            new EventGridPublisherClientOptions { Retry = { MaxRetries = 0 } });

        var sent = new CloudEvent("/stores/demo", "CartCall.Call.Placed", new { callId = "c-1" }) { Subject = "calls/c-1" };
        var response = await client.SendEventAsync(sent);

        Assert.Equal(200, response.Status);
        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
        var parsed = CloudEvent.ParseMany(BinaryData.FromString(hook.Notifications.Single().Body)).Single();
        Assert.Equal(sent.Id, parsed.Id);
        Assert.Equal("CartCall.Call.Placed", parsed.Type);
        Assert.Equal("c-1", parsed.Data!.ToObjectFromJson<JsonElement>().GetProperty("callId").GetString());
    }

    [Fact]
    public async Task DotNetClient_PublishWithWrongKey_Throws401()
    {
        await using var standIn = await EventGridStandIn.StartAsync(Options(), CancellationToken.None);
        var client = new EventGridPublisherClient(standIn.Endpoint, new AzureKeyCredential(Convert.ToBase64String(new byte[32])),
            new EventGridPublisherClientOptions { Retry = { MaxRetries = 0 } });

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.SendEventAsync(new CloudEvent("/stores/demo", "CartCall.Call.Placed", new { callId = "c-1" })));

        Assert.Equal(401, error.Status);
        Assert.Equal("Unauthorized", error.ErrorCode);
    }

    [Fact]
    public async Task DotNetClient_PublishesWithSasToken_IsAccepted()
    {
        await using var standIn = await EventGridStandIn.StartAsync(Options(), CancellationToken.None);
        // Azure.Messaging.EventGrid 4.17 no longer exposes its SAS builder; build one in the format its earlier
        // versions produced (en-US DateTimeOffset with offset, form-url-encoded), which the service also accepts.
        var sas = DotNetStyleSas(standIn.Endpoint, DateTimeOffset.UtcNow.AddMinutes(10), TopicKey);
        var client = new EventGridPublisherClient(standIn.Endpoint, new AzureSasCredential(sas),
            new EventGridPublisherClientOptions { Retry = { MaxRetries = 0 } });

        var response = await client.SendEventAsync(new EventGridEvent("calls/1", "CartCall.Call.Placed", "1.0", new { callId = "c-1" }));

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task DotNetClient_PublishWithExpiredSasToken_Throws401()
    {
        await using var standIn = await EventGridStandIn.StartAsync(Options(), CancellationToken.None);
        var sas = DotNetStyleSas(standIn.Endpoint, DateTimeOffset.UtcNow.AddMinutes(-1), TopicKey);
        var client = new EventGridPublisherClient(standIn.Endpoint, new AzureSasCredential(sas),
            new EventGridPublisherClientOptions { Retry = { MaxRetries = 0 } });

        var error = await Assert.ThrowsAsync<RequestFailedException>(() =>
            client.SendEventAsync(new EventGridEvent("calls/1", "CartCall.Call.Placed", "1.0", new { callId = "c-1" })));

        Assert.Equal(401, error.Status);
        Assert.Contains("expired", error.Message);
    }

    private static string DotNetStyleSas(Uri endpoint, DateTimeOffset expiresOn, string key)
    {
        var resource = System.Web.HttpUtility.UrlEncode($"{endpoint.AbsoluteUri}?api-version=2018-01-01");
        var expiry = System.Web.HttpUtility.UrlEncode(expiresOn.ToString(System.Globalization.CultureInfo.GetCultureInfo("en-US")));
        var unsigned = $"r={resource}&e={expiry}";
        var signature = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(key), System.Text.Encoding.UTF8.GetBytes(unsigned)));
        return $"{unsigned}&s={System.Web.HttpUtility.UrlEncode(signature)}";
    }
}
