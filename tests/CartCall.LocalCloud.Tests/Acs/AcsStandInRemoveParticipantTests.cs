using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.Acs;
using static CartCall.LocalCloud.Tests.Acs.AcsStandInDriver;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>
/// <c>participants:remove</c> on the ACS stand-in: a connected party's leg drops (a signed RemoveParticipantSucceeded,
/// a ParticipantsUpdated without them), one not on the call is a 404, and every removal is recorded. And the race the
/// app must handle: a party that answers just as its invitation is cancelled.
/// </summary>
public sealed class AcsStandInRemoveParticipantTests
{
    [Fact]
    public async Task AConnectedParty_IsTakenOffTheCall_ASignedSucceededCallbackGoesToTheOperationCallback_AndTheParticipantsNoLongerListThem()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var opHook = await AcsTestWebhook.StartAsync();
        await using var standIn = await StartAsync(PartyScript.Answers(TimeSpan.FromMilliseconds(50)));
        var call = await ConnectedCallAsync(standIn, hook);
        await InviteAgentAsync(standIn, call);
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.AddParticipantSucceeded", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));

        var (status, reply) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:remove?{ApiVersion}", new JsonObject
        {
            ["participantToRemove"] = Phone(Agent),
            ["operationContext"] = "ca_1|remove.a1",
            ["operationCallbackUri"] = opHook.Url.AbsoluteUri,
        });

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("ca_1|remove.a1", reply!["operationContext"]!.GetValue<string>());
        Assert.True(await opHook.WaitForAsync(b => b.Contains("Microsoft.Communication.RemoveParticipantSucceeded", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        var (authorization, body) = Assert.Single(opHook.Received);
        Assert.StartsWith("Bearer ", authorization, StringComparison.Ordinal);
        var data = JsonNode.Parse(body)!.AsArray()[0]!["data"]!;
        Assert.Equal("4:" + Agent, data["participant"]!["rawId"]!.GetValue<string>());
        Assert.Equal(("ca_1|remove.a1", call, 200), (data["operationContext"]!.GetValue<string>(), data["callConnectionId"]!.GetValue<string>(), data["resultInformation"]!["code"]!.GetValue<int>()));
        // The call's own callback hears who is left: the shopper only, and the call goes on.
        Assert.True(await hook.WaitForAsync(b => IsParticipantsUpdated(b, out var raws) && raws.SequenceEqual(["4:" + Shopper]), TimeSpan.FromSeconds(10)));
        var placed = Assert.Single(standIn.Calls);
        Assert.Equal("connected", placed.State);
        Assert.Equal(PartyState.Left, Assert.Single(placed.Parties, p => p.Role == "added").State);
        var removal = Assert.Single(standIn.ParticipantRemovals);
        Assert.Equal((call, "4:" + Agent), (removal.CallConnectionId, removal.PartyRawId));
    }

    [Fact]
    public async Task APartyNotOnTheCall_IsNotFound_AndAMissingOneIsABadRequest()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await StartAsync(PartyScript.NeverAnswers());
        var call = await ConnectedCallAsync(standIn, hook);
        await InviteAgentAsync(standIn, call);

        // Still ringing is not on the call; nor is someone never invited.
        var (ringing, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:remove?{ApiVersion}", new JsonObject { ["participantToRemove"] = Phone(Agent) });
        var (stranger, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:remove?{ApiVersion}", new JsonObject { ["participantToRemove"] = Phone("+14255550999") });
        var (missing, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:remove?{ApiVersion}", new JsonObject { ["operationContext"] = "x" });

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (ringing, stranger, missing));
        Assert.Empty(standIn.ParticipantRemovals);
        Assert.Equal(PartyState.Ringing, Assert.Single(Assert.Single(standIn.Calls).Parties, p => p.Role == "added").State);
    }

    [Fact]
    public async Task APartyThatAnswersAsItsInvitationIsCancelled_IsOnTheCall_AndTheCancelComesTooLate()
    {
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await StartAsync(PartyScript.AnswersJustAsCancelled());
        var call = await ConnectedCallAsync(standIn, hook);
        var invitation = await InviteAgentAsync(standIn, call);

        var (status, _) = await SendAsync(standIn, $"calling/callConnections/{call}/participants:cancelAddParticipant?{ApiVersion}", new JsonObject
        {
            ["invitationId"] = invitation,
            ["operationContext"] = "ca_1|cancel.1",
        });

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CancelAddParticipantFailed", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        Assert.Contains(hook.Received, r => r.Body.Contains("Microsoft.Communication.AddParticipantSucceeded", StringComparison.Ordinal));
        Assert.Contains(hook.Received, r => IsParticipantsUpdated(r.Body, out var raws) && raws.Contains("4:" + Agent));
        Assert.False(Assert.Single(standIn.InvitationCancels).Cancelled);
        Assert.Equal(PartyState.Connected, Assert.Single(Assert.Single(standIn.Calls).Parties, p => p.Role == "added").State);
    }

    private static bool IsParticipantsUpdated(string body, out string[] rawIds)
    {
        rawIds = [];
        if (!body.Contains("Microsoft.Communication.ParticipantsUpdated", StringComparison.Ordinal)) return false;
        rawIds = [.. JsonNode.Parse(body)!.AsArray()[0]!["data"]!["participants"]!.AsArray().Select(p => p!["identifier"]!["rawId"]!.GetValue<string>())];
        return true;
    }
}
