using CartCall.LocalCloud.EventGrid;
using Microsoft.Extensions.Configuration;

namespace CartCall.LocalCloud.Tests.EventGrid;

public sealed class EventGridOptionsTests
{
    [Fact]
    public void FromConfiguration_BindsSectionEventGridIncludingSubscriptionsAndSchedule()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventGrid:TopicKey"] = "a2V5a2V5a2V5a2V5",
            ["EventGrid:Port"] = "7071",
            ["EventGrid:RetrySchedule:0"] = "00:00:00.050",
            ["EventGrid:RetrySchedule:1"] = "00:00:00.100",
            ["EventGrid:Subscriptions:0:Name"] = "app-calls",
            ["EventGrid:Subscriptions:0:Endpoint"] = "http://127.0.0.1:7072/api/calls/events",
            ["EventGrid:Subscriptions:0:Schema"] = "EventGrid",
            ["EventGrid:Subscriptions:0:MaxDeliveryAttempts"] = "5",
            ["EventGrid:Subscriptions:0:IncludedEventTypes:0"] = "CartCall.Offer.Accepted",
        }).Build();

        var options = EventGridStandInOptions.FromConfiguration(configuration);
        options.Validate();

        Assert.Equal(7071, options.Port);
        Assert.Equal([TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)], options.RetrySchedule);
        var subscription = Assert.Single(options.Subscriptions);
        Assert.Equal(("app-calls", EventDeliverySchema.EventGrid, 5), (subscription.Name, subscription.Schema, subscription.MaxDeliveryAttempts));
        Assert.Equal(new Uri("http://127.0.0.1:7072/api/calls/events"), subscription.Endpoint);
        Assert.Equal(["CartCall.Offer.Accepted"], subscription.IncludedEventTypes!);
    }

    [Fact]
    public void FromConfiguration_WithoutSchedule_KeepsTheRealSchedule()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventGrid:TopicKey"] = "a2V5a2V5a2V5a2V5",
        }).Build();

        var options = EventGridStandInOptions.FromConfiguration(configuration);

        Assert.Equal(EventGridStandInOptions.DefaultRetrySchedule, options.RetrySchedule);
    }

    [Fact]
    public void Validate_ReportsEveryProblem()
    {
        var options = new EventGridStandInOptions
        {
            TopicKey = "not base64!",
            RetrySchedule = [],
            Subscriptions =
            [
                new EventGridSubscriptionOptions { Name = "x", Endpoint = new Uri("http://example.com/hook"), MaxDeliveryAttempts = 31 },
                new EventGridSubscriptionOptions { Name = "dup", Endpoint = new Uri("http://127.0.0.1:1/a"), EventTtl = TimeSpan.FromSeconds(5) },
                new EventGridSubscriptionOptions { Name = "dup", Endpoint = new Uri("http://127.0.0.1:1/b") },
            ],
        };

        var error = Assert.Throws<EventGridOptionsException>(options.Validate);

        Assert.Contains(error.Errors, e => e.Contains("TopicKey must be base64"));
        Assert.Contains(error.Errors, e => e.Contains("RetrySchedule"));
        Assert.Contains(error.Errors, e => e.Contains("Subscriptions:0:Name"));
        Assert.Contains(error.Errors, e => e.Contains("loopback"));
        Assert.Contains(error.Errors, e => e.Contains("MaxDeliveryAttempts"));
        Assert.Contains(error.Errors, e => e.Contains("EventTtl"));
        Assert.Contains(error.Errors, e => e.Contains("used twice"));
    }

    [Fact]
    public async Task StartAsync_OnTakenPort_ThrowsAndTheFirstKeepsServing()
    {
        await using var first = await EventGridStandIn.StartAsync(EventGridTestKit.Options(), CancellationToken.None);
        var options = EventGridTestKit.Options();
        options.Port = first.Endpoint.Port;

        await Assert.ThrowsAnyAsync<IOException>(() => EventGridStandIn.StartAsync(options, CancellationToken.None));

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await http.GetAsync(new Uri(first.BaseAddress, "api/_standin/subscriptions"));
        Assert.Equal(200, (int)response.StatusCode);
    }

    [Fact]
    public async Task StartAsync_WithInvalidOptions_ThrowsBeforeListening()
    {
        await Assert.ThrowsAsync<EventGridOptionsException>(() =>
            EventGridStandIn.StartAsync(new EventGridStandInOptions(), CancellationToken.None));
    }
}
