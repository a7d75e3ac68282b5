using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.Acs;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>
/// Drives the ACS stand-in over its signed REST API as the app does, for the tests of an agent's leg (cancel, remove):
/// a shopper's call connected, an agent invited.
/// </summary>
internal static class AcsStandInDriver
{
    public const string Shopper = "+14255550123";
    public const string Agent = "+14255550177";
    public const string ApiVersion = "api-version=2026-03-12";

    public static Task<AcsStandIn> StartAsync(PartyScript agent)
    {
        var options = new AcsStandInOptions();
        options.Parties[Shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));
        options.Parties[Agent] = agent;
        return AcsStandIn.StartAsync(options, CancellationToken.None);
    }

    /// <summary>Calls the shopper and waits for the call to connect (an agent can only be added then).</summary>
    public static async Task<string> ConnectedCallAsync(AcsStandIn standIn, AcsTestWebhook hook)
    {
        var (status, reply) = await SendAsync(standIn, $"calling/callConnections?{ApiVersion}", new JsonObject
        {
            ["targets"] = new JsonArray(Phone(Shopper)),
            ["sourceCallerIdNumber"] = new JsonObject { ["value"] = "+14255550100" },
            ["callbackUri"] = hook.Url.AbsoluteUri,
            ["operationContext"] = "ca_1",
        });
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CallConnected", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        return reply!["callConnectionId"]!.GetValue<string>();
    }

    public static async Task<string> InviteAgentAsync(AcsStandIn standIn, string call)
    {
        var (status, reply) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:add?{ApiVersion}", new JsonObject
        {
            ["participantToAdd"] = Phone(Agent),
            ["sourceCallerIdNumber"] = new JsonObject { ["value"] = "+14255550100" },
            ["invitationTimeoutInSeconds"] = 30,
            ["operationContext"] = "ca_1|agent.1",
        });
        Assert.Equal(HttpStatusCode.Accepted, status);
        return reply!["invitationId"]!.GetValue<string>();
    }

    public static JsonObject Phone(string number) =>
        new() { ["kind"] = "phoneNumber", ["rawId"] = "4:" + number, ["phoneNumber"] = new JsonObject { ["value"] = number } };

    public static async Task<(HttpStatusCode Status, JsonObject? Body)> SendAsync(AcsStandIn standIn, string path, JsonObject body)
    {
        using var http = new HttpClient();
        using var request = new TestHmacSigner(standIn.AccessKey).Sign(HttpMethod.Post, new Uri(standIn.Endpoint, path), Encoding.UTF8.GetBytes(body.ToJsonString()));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }
}
