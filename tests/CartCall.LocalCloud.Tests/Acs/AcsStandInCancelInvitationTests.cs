using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.Acs;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>
/// <c>participants:cancelAddParticipant</c> on the ACS stand-in: a ringing invitation stops and its party never joins
/// (CancelAddParticipantSucceeded), one already over gets CancelAddParticipantFailed, and every cancel is recorded.
/// </summary>
public sealed class AcsStandInCancelInvitationTests
{
    private const string Shopper = "+14255550123";
    private const string Agent = "+14255550177";
    private const string ApiVersion = "api-version=2026-03-12";

    [Fact]
    public async Task ARingingInvitation_IsStopped_ItsPartyNeverJoins_AndASignedSucceededCallbackGoesToTheOperationCallback()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var opHook = await AcsTestWebhook.StartAsync();
        // The agent would answer after 1.5 s: the cancel comes first, and the answer must then never happen.
        await using var standIn = await StartAsync(PartyScript.Answers(TimeSpan.FromMilliseconds(1500)));
        var call = await ConnectedCallAsync(standIn, hook);
        var invitation = await InviteAgentAsync(standIn, call);

        var (status, reply) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:cancelAddParticipant?{ApiVersion}", new JsonObject
        {
            ["invitationId"] = invitation,
            ["operationContext"] = "ca_1|cancel.1",
            ["operationCallbackUri"] = opHook.Url.AbsoluteUri,
        });

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(invitation, reply!["invitationId"]!.GetValue<string>());
        Assert.Equal("ca_1|cancel.1", reply["operationContext"]!.GetValue<string>());
        Assert.True(await opHook.WaitForAsync(b => b.Contains("Microsoft.Communication.CancelAddParticipantSucceeded", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        var (authorization, body) = Assert.Single(opHook.Received);
        Assert.StartsWith("Bearer ", authorization, StringComparison.Ordinal);
        var data = JsonNode.Parse(body)!.AsArray()[0]!["data"]!;
        Assert.Equal(invitation, data["invitationId"]!.GetValue<string>());
        Assert.Equal("ca_1|cancel.1", data["operationContext"]!.GetValue<string>());
        Assert.Equal(call, data["callConnectionId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(data["serverCallId"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(data["correlationId"]?.GetValue<string>()));
        Assert.Equal(200, data["resultInformation"]!["code"]!.GetValue<int>());

        // Past the time the agent would have answered: still not on the call, and nothing said they joined.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var agent = Assert.Single(Assert.Single(standIn.Calls).Parties, p => p.Role == "added");
        Assert.Equal(PartyState.Failed, agent.State);
        Assert.Equal(invitation, agent.InvitationId);
        Assert.DoesNotContain(hook.Received.Concat(opHook.Received), r => r.Body.Contains("AddParticipantSucceeded", StringComparison.Ordinal) && !r.Body.Contains("Cancel", StringComparison.Ordinal));
        Assert.DoesNotContain(standIn.Calls[0].Timeline, t => t.Text.Contains("answered", StringComparison.Ordinal) && t.Text.Contains(Agent, StringComparison.Ordinal));
        var cancel = Assert.Single(standIn.InvitationCancels);
        Assert.Equal((call, invitation, "4:" + Agent, true), (cancel.CallConnectionId, cancel.InvitationId, cancel.PartyRawId, cancel.Cancelled));
    }

    [Fact]
    public async Task AnInvitationAlreadyOver_IsNotCancelled_AndAFailedCallbackSaysSo()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await StartAsync(PartyScript.Rejects());
        var call = await ConnectedCallAsync(standIn, hook);
        var invitation = await InviteAgentAsync(standIn, call);
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.AddParticipantFailed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));

        var (status, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:cancelAddParticipant?{ApiVersion}", new JsonObject
        {
            ["invitationId"] = invitation,
            ["operationContext"] = "ca_1|cancel.1",
        });

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CancelAddParticipantFailed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(hook.Received, r => r.Body.Contains("CancelAddParticipantSucceeded", StringComparison.Ordinal));
        var cancel = Assert.Single(standIn.InvitationCancels);
        Assert.False(cancel.Cancelled);
    }

    [Fact]
    public async Task AnUnknownInvitation_IsNotFound_AndAMissingOneIsABadRequest()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await StartAsync(PartyScript.NeverAnswers());
        var call = await ConnectedCallAsync(standIn, hook);

        var (unknown, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:cancelAddParticipant?{ApiVersion}", new JsonObject { ["invitationId"] = Guid.NewGuid().ToString() });
        var (missing, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:cancelAddParticipant?{ApiVersion}", new JsonObject { ["operationContext"] = "x" });

        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Empty(standIn.InvitationCancels);
    }

    private static Task<AcsStandIn> StartAsync(PartyScript agent)
    {
        var options = new AcsStandInOptions();
        options.Parties[Shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));
        options.Parties[Agent] = agent;
        return AcsStandIn.StartAsync(options, CancellationToken.None);
    }

    /// <summary>Calls the shopper and waits for the call to connect (an agent can only be added then).</summary>
    private static async Task<string> ConnectedCallAsync(AcsStandIn standIn, AcsTestWebhook hook)
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

    private static async Task<string> InviteAgentAsync(AcsStandIn standIn, string call)
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

    private static JsonObject Phone(string number) =>
        new() { ["kind"] = "phoneNumber", ["rawId"] = "4:" + number, ["phoneNumber"] = new JsonObject { ["value"] = number } };

    private static async Task<(HttpStatusCode Status, JsonObject? Body)> SendAsync(AcsStandIn standIn, string path, JsonObject body)
    {
        using var http = new HttpClient();
        using var request = new TestHmacSigner(standIn.AccessKey).Sign(HttpMethod.Post, new Uri(standIn.Endpoint, path), Encoding.UTF8.GetBytes(body.ToJsonString()));
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }
}
