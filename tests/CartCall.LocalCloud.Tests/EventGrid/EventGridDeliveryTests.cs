using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartCall.LocalCloud.EventGrid;
using static CartCall.LocalCloud.Tests.EventGrid.EventGridTestKit;

namespace CartCall.LocalCloud.Tests.EventGrid;

/// <summary>Push delivery: handshake, retry, dead-lettering, filtering, as the real topic does it.</summary>
public sealed class EventGridDeliveryTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    private static async Task PublishCloudEventAsync(EventGridStandIn standIn, string id, string type = "CartCall.Test")
    {
        var body = JsonSerializer.Serialize(new[]
        {
            new { specversion = "1.0", id, source = "/tests", type, data = new { n = 1 } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, standIn.Endpoint + "?api-version=2018-01-01")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json"),
        };
        request.Headers.Add("aeg-sas-key", TopicKey);
        using var response = await Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task Handshake_Refused_EventIsNotDeliveredAndWhyIsRecorded()
    {
        await using var hook = await WebhookReceiver.StartAsync(acceptHandshake: false);
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("refuser", hook.Endpoint)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-1");

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        var deadLetter = standIn.DeadLetters.Single();
        Assert.Equal(DeadLetterReasons.SubscriptionNotValidated, deadLetter.Reason);
        Assert.Contains("403", deadLetter.Detail);
        Assert.Equal(SubscriptionValidationState.Refused, standIn.Subscriptions.Single().State);
        Assert.Empty(hook.Notifications);
        Assert.Equal("OPTIONS", Assert.Single(hook.Requests).Method);
    }

    [Fact]
    public async Task Handshake_EventGridSchemaRefused_EventIsNotDelivered()
    {
        await using var hook = await WebhookReceiver.StartAsync(acceptHandshake: false);
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("refuser", hook.Endpoint, EventDeliverySchema.EventGrid)), CancellationToken.None);
        await PublishEventGridEventAsync(standIn, "e-1");

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        Assert.Equal(DeadLetterReasons.SubscriptionNotValidated, standIn.DeadLetters.Single().Reason);
        Assert.Empty(hook.Notifications);
    }

    [Theory]
    [InlineData(EventDeliverySchema.CloudEvents, 503)]
    [InlineData(EventDeliverySchema.CloudEvents, 429)]
    [InlineData(EventDeliverySchema.EventGrid, 503)]
    public async Task Handshake_AnsweredUnavailable_IsAskedAgain_AndTheEventIsDelivered(EventDeliverySchema schema, int status)
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptHandshakeStatuses(status);
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("restarting", hook.Endpoint, schema)), CancellationToken.None);

        if (schema == EventDeliverySchema.CloudEvents)
        {
            await PublishCloudEventAsync(standIn, "e-1");
        }
        else
        {
            await PublishEventGridEventAsync(standIn, "e-1");
        }

        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
        Assert.Equal(SubscriptionValidationState.Validated, standIn.Subscriptions.Single().State);
        Assert.Empty(standIn.DeadLetters);
        Assert.Contains(standIn.Deliveries, d => d.EventId == "e-1" && d.Outcome == DeliveryOutcome.ConnectionFailed && d.Error!.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Delivery_503ThenOk_IsAttemptedTwiceAndSucceedsOnce()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(503);
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("flaky", hook.Endpoint)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-503");

        Assert.True(await EventuallyAsync(() => standIn.Deliveries.Any(d => d.Outcome == DeliveryOutcome.Delivered)));
        var attempts = standIn.Deliveries.Where(d => d.EventId == "e-503").OrderBy(d => d.Attempt).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal((503, DeliveryOutcome.Failed), (attempts[0].StatusCode!.Value, attempts[0].Outcome));
        Assert.Equal((200, DeliveryOutcome.Delivered), (attempts[1].StatusCode!.Value, attempts[1].Outcome));
        Assert.Equal(["0", "1"], hook.Notifications.Select(n => n.Header("aeg-delivery-count")!).ToArray());
        Assert.Empty(standIn.DeadLetters);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(413)]
    public async Task Delivery_NonRetriableStatus_IsDeadLetteredWithoutRetry(int status)
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(status);
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("picky", hook.Endpoint)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-bad");

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        var deadLetter = standIn.DeadLetters.Single();
        Assert.Equal(DeadLetterReasons.NonRetriableStatusCode, deadLetter.Reason);
        Assert.Equal(status, deadLetter.LastHttpStatusCode);
        Assert.Equal(1, deadLetter.DeliveryAttempts);
        Assert.Equal("e-bad", deadLetter.Event["id"]!.GetValue<string>());
        Assert.Single(standIn.Deliveries);
        Assert.Single(hook.Notifications);
    }

    [Fact]
    public async Task Delivery_AlwaysFailing_StopsAtMaxDeliveryAttempts()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(500, 500, 500, 500, 500, 500);
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("broken", hook.Endpoint, maxAttempts: 3)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-500");

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        Assert.Equal(DeadLetterReasons.MaxDeliveryAttemptsExceeded, standIn.DeadLetters.Single().Reason);
        Assert.Equal([1, 2, 3], standIn.Deliveries.Select(d => d.Attempt).Order().ToArray());
        Assert.Equal(3, hook.Notifications.Count);
    }

    [Fact]
    public async Task Delivery_EndpointUnreachable_RetriesThenDeadLettersAtMaxAttempts()
    {
        // A port nobody listens on: the handshake cannot happen, each try uses up an attempt.
        var downEndpoint = new Uri($"http://127.0.0.1:{FreePort()}/hook");
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("down", downEndpoint, maxAttempts: 2)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-down");

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        Assert.Equal(DeadLetterReasons.MaxDeliveryAttemptsExceeded, standIn.DeadLetters.Single().Reason);
        Assert.All(standIn.Deliveries, d => Assert.Equal(DeliveryOutcome.ConnectionFailed, d.Outcome));
        Assert.Equal(SubscriptionValidationState.Pending, standIn.Subscriptions.Single().State);
    }

    [Fact]
    public async Task Delivery_IncludedEventTypes_OnlyMatchingTypesAreDelivered()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        var subscription = Subscription("offers-only", hook.Endpoint);
        subscription.IncludedEventTypes = ["CartCall.Offer.Accepted"];
        await using var standIn = await EventGridStandIn.StartAsync(Options(subscription), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-cart", "CartCall.Cart.Updated");
        await PublishCloudEventAsync(standIn, "e-offer", "cartcall.offer.accepted");

        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
        await Task.Delay(200); // give a wrongly routed event the chance to show up
        Assert.Equal("e-offer", Assert.Single(hook.Notifications).Header("aeg-output-event-id"));
    }

    [Fact]
    public async Task AddSubscription_AtRuntime_ReceivesLaterEvents()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(Options(), CancellationToken.None);
        await PublishCloudEventAsync(standIn, "before");

        standIn.AddSubscription(Subscription("late", hook.Endpoint));
        await PublishCloudEventAsync(standIn, "after");

        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
        Assert.Equal("after", hook.Notifications.Single().Header("aeg-output-event-id"));
        Assert.Throws<EventGridOptionsException>(() => standIn.AddSubscription(Subscription("late", hook.Endpoint)));
    }

    [Fact]
    public async Task CloudEventToEventGridSchemaSubscription_IsDeadLetteredAsSchemaMismatch()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("eg-schema", hook.Endpoint, EventDeliverySchema.EventGrid)), CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-ce");

        Assert.Equal(DeadLetterReasons.SchemaMismatch, Assert.Single(standIn.DeadLetters).Reason);
        Assert.Empty(hook.Requests);
    }

    [Fact]
    public async Task DebugView_ListsDeliveriesAndDeadLettersAsJson()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(400);
        await using var standIn = await EventGridStandIn.StartAsync(Options(Subscription("view", hook.Endpoint)), CancellationToken.None);
        await PublishCloudEventAsync(standIn, "e-view");
        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));

        var deliveries = await Http.GetFromJsonAsync<JsonElement>(new Uri(standIn.BaseAddress, "api/_standin/deliveries"));
        var deadLetters = await Http.GetFromJsonAsync<JsonElement>(new Uri(standIn.BaseAddress, "api/_standin/deadletters"));

        Assert.Equal("e-view", deliveries[0].GetProperty("eventId").GetString());
        Assert.Equal("Failed", deliveries[0].GetProperty("outcome").GetString());
        Assert.Equal(DeadLetterReasons.NonRetriableStatusCode, deadLetters[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Delivery_WhenNextAttemptFallsAfterTtl_IsDeadLetteredAsTimeToLiveExceeded()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptStatuses(500, 500, 500);
        var clock = new SkippableTimeProvider();
        var options = Options(Subscription("short-lived", hook.Endpoint));
        options.Subscriptions[0].EventTtl = TimeSpan.FromMinutes(1);
        options.TimeProvider = clock;
        await using var standIn = await EventGridStandIn.StartAsync(options, CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-ttl");
        clock.Skip(TimeSpan.FromMinutes(2)); // the event is now older than its TTL

        Assert.True(await EventuallyAsync(() => standIn.DeadLetters.Count == 1));
        Assert.Equal(DeadLetterReasons.TimeToLiveExceeded, standIn.DeadLetters.Single().Reason);
    }

    [Fact]
    public async Task Delivery_SlowSubscriber_TimesOutAndIsRetried()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ScriptDelays(TimeSpan.FromSeconds(5));
        var options = Options(Subscription("slow", hook.Endpoint));
        options.ResponseTimeout = TimeSpan.FromMilliseconds(300);
        await using var standIn = await EventGridStandIn.StartAsync(options, CancellationToken.None);

        await PublishCloudEventAsync(standIn, "e-slow");

        Assert.True(await EventuallyAsync(() => standIn.Deliveries.Any(d => d.Outcome == DeliveryOutcome.Delivered)));
        var attempts = standIn.Deliveries.OrderBy(d => d.Attempt).ToList();
        Assert.Equal([DeliveryOutcome.TimedOut, DeliveryOutcome.Delivered], attempts.Select(a => a.Outcome).ToArray());
        Assert.Null(attempts[0].StatusCode);
    }

    [Fact]
    public async Task Handshake_EventGridSchemaValidatedByUrlGet_LaterEventsAreDelivered()
    {
        await using var hook = await WebhookReceiver.StartAsync();
        hook.ValidateByUrl = true;
        await using var standIn = await EventGridStandIn.StartAsync(
            Options(Subscription("manual", hook.Endpoint, EventDeliverySchema.EventGrid)), CancellationToken.None);

        await PublishEventGridEventAsync(standIn, "first");
        Assert.True(await EventuallyAsync(() => hook.ValidationUrlStatus == 200));
        await PublishEventGridEventAsync(standIn, "second");

        Assert.True(await EventuallyAsync(() => hook.Notifications.Count == 1));
        Assert.Equal("second", hook.Notifications.Single().Header("aeg-output-event-id"));
        // The first event met a subscription not yet validated, as on the real service before the GET arrives.
        Assert.Equal("first", Assert.Single(standIn.DeadLetters).EventId);
        Assert.Equal(SubscriptionValidationState.Validated, standIn.Subscriptions.Single().State);
    }

    private static async Task PublishEventGridEventAsync(EventGridStandIn standIn, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, standIn.Endpoint + "?api-version=2018-01-01")
        {
            Content = new StringContent(
                $$$"""[{"id":"{{{id}}}","subject":"s","eventType":"CartCall.Test","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1","data":{}}]""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("aeg-sas-key", TopicKey);
        using var response = await Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Real time, plus whatever the test skips ahead (timers still run on real time).</summary>
    private sealed class SkippableTimeProvider : TimeProvider
    {
        private long _skippedTicks;

        public void Skip(TimeSpan by) => Interlocked.Add(ref _skippedTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));
    }
}
