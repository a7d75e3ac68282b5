using CartCall.Testing;
using System.Text.Json;
using CartCall.LocalCloud.WebPubSub;

namespace CartCall.LocalCloud.Tests.WebPubSub;

/// <summary>The stand-in, driven by Microsoft's npm SDKs (@azure/web-pubsub and @azure/web-pubsub-client).</summary>
public sealed class WebPubSubStandInSdkTests
{
    [Theory]
    [InlineData("json")]
    [InlineData("reliable")]
    public async Task NpmSdks_SendToUserGroupAndAll_ClientReceivesEachMessage(string protocol)
    {
        await using var standIn = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);

        var run = await NodeScript.RunAsync(Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "WebPubSub", "node", "sdk-roundtrip.mjs"), new Dictionary<string, string>
        {
            ["WPS_CONNECTION_STRING"] = standIn.ConnectionString,
            ["WPS_HUB"] = "cartcall",
            ["WPS_PROTOCOL"] = protocol,
        }, TimeSpan.FromSeconds(60), CancellationToken.None);

        Assert.True(run.ExitCode == 0, run.ToString());
        var json = run.LastJsonLine();
        Assert.Equal($"ws://127.0.0.1:{standIn.Endpoint.Port}/client/hubs/cartcall", json.GetProperty("baseUrl").GetString());
        Assert.Equal("shopper-1", json.GetProperty("shopperConnected").GetProperty("userId").GetString());
        Assert.True(json.GetProperty("shopperConnected").GetProperty("hasConnectionId").GetBoolean());
        Assert.True(json.GetProperty("userExists").GetBoolean());
        Assert.False(json.GetProperty("strangerExists").GetBoolean());
        Assert.True(json.GetProperty("agentJoin").GetProperty("rejected").GetBoolean(), run.ToString());
        Assert.Equal("Forbidden", json.GetProperty("agentJoin").GetProperty("name").GetString());

        var shopper = json.GetProperty("shopperReceived").EnumerateArray().ToList();
        Assert.Equal(4, shopper.Count);
        Assert.Contains(shopper, m => Is(m, "server", "json") && m.GetProperty("data").GetProperty("offer").GetString() == "call-now"
            && m.GetProperty("data").GetProperty("cartValue").GetDouble() == 129.5);
        Assert.Contains(shopper, m => Is(m, "server", "text") && m.GetProperty("data").GetString() == "offer text");
        Assert.Contains(shopper, m => Is(m, "server", "binary") && m.GetProperty("data").GetString() == Convert.ToBase64String([1, 2, 3]));
        Assert.Contains(shopper, m => Is(m, "group", "json") && m.GetProperty("group").GetString() == "offers"
            && m.GetProperty("fromUserId").GetString() == "shopper-1" && m.GetProperty("data").GetProperty("hello").GetString() == "group");

        var agent = json.GetProperty("agentReceived").EnumerateArray().ToList();
        Assert.Equal(2, agent.Count);
        Assert.Contains(agent, m => Is(m, "server", "binary"));
        Assert.Contains(agent, m => Is(m, "server", "json") && m.GetProperty("data").GetProperty("queue").GetString() == "sales");

        // The message to a user with no connection was accepted and dropped, and the stand-in remembers it.
        Assert.Contains(standIn.RecentActivity, a => a.Kind == "dropped" && a.Target == "user:nobody" && a.Data!.Contains("lost", StringComparison.Ordinal));
    }

    private static bool Is(JsonElement message, string from, string dataType) =>
        message.GetProperty("from").GetString() == from && message.GetProperty("dataType").GetString() == dataType;
}
