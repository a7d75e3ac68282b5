using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.Acs;
using static CartCall.LocalCloud.Tests.Acs.AcsStandInDriver;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>
/// <c>participants:cancelAddParticipant</c> on the ACS stand-in: a ringing invitation stops and its party never joins
/// (CancelAddParticipantSucceeded), one already over gets CancelAddParticipantFailed, and every cancel is recorded.
/// </summary>
public sealed class AcsStandInCancelInvitationTests
{
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
}
