using System.Net.WebSockets;
using System.Text;
using CartCall.LocalCloud.WebPubSub;

namespace CartCall.LocalCloud.Tests.WebPubSub;

public sealed class WebPubSubStandInLifetimeTests
{
    [Fact]
    public async Task DisposeAsync_WithAnOpenClient_ClosesTheClientAndFreesThePort()
    {
        var standIn = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { AccessKey = "lifetime-key" }, CancellationToken.None);
        var port = standIn.Endpoint.Port;
        using var socket = new ClientWebSocket();
        var clientToken = MintClientToken(standIn, "h", "u");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/client/hubs/h?access_token={clientToken}"), CancellationToken.None);
        Assert.Equal(1, standIn.ConnectionCount("h"));

        await standIn.DisposeAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var closedOrFailed = false;
        try
        {
            var result = await socket.ReceiveAsync(new byte[1024], timeout.Token);
            closedOrFailed = result.MessageType == WebSocketMessageType.Close;
        }
        catch (WebSocketException)
        {
            closedOrFailed = true;
        }

        Assert.True(closedOrFailed);
        await using var again = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { Port = port }, CancellationToken.None);
        Assert.Equal(port, again.Endpoint.Port);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_Throws()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { Port = 70000 }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { AccessKey = "" }, CancellationToken.None));
    }

    [Fact]
    public async Task ConnectionString_HasTheServiceShape()
    {
        await using var standIn = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { AccessKey = "abc" }, CancellationToken.None);

        Assert.Equal($"Endpoint=http://127.0.0.1:{standIn.Endpoint.Port};AccessKey=abc;Version=1.0;", standIn.ConnectionString);
    }

    private static string MintClientToken(WebPubSubStandIn standIn, string hub, string userId) =>
        StandInJwt.Create(Encoding.UTF8.GetBytes(standIn.AccessKey), $"{standIn.Endpoint.GetLeftPart(UriPartial.Authority)}/client/hubs/{hub}",
            DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), userId, [], []);
}
