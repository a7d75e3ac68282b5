using CartCall.Domain.Calls;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;
using CartCall.Domain.Preferences;
using CartCall.LocalCloud.Acs;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>Accept → PlaceCall → ACS stand-in callbacks → agent → outcome, over real sockets.</summary>
[Collection(CallsCollection.Name)]
public sealed class CallFlowTests(CallsFixture app)
{
    private static int numbers;

    /// <summary>A fresh valid US number per test (the stand-in scripts parties by number).</summary>
    private static string NewNumber() => "+1201555" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private static string NewSession() => "s-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(string Merchant, string Session, string Offer)> SetUpAsync(params (string Id, string Phone, PartyScript Script)[] agents)
    {
        var merchant = await app.CreateMerchantAsync();
        var priority = 0;
        foreach (var (id, phone, script) in agents)
        {
            app.Acs.Parties[phone] = script;
            await app.AddAgentAsync(merchant, id, phone: phone, priority: priority++);
        }

        var session = NewSession();
        return (merchant, session, await app.NewOfferAsync(merchant, session));
    }

    private static async Task<JsonObject> AcceptedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task PhoneAccept_AgentAnswers_CallCompletes_OutcomeStored_CallEndedPublished_StatusPushed()
    {
        var shopper = NewNumber();
        var agent = NewNumber();
        // The agent ends the call a second after joining: a shopper hanging up on a timer can beat the agent on a loaded machine.
        var (merchant, session, offer) = await SetUpAsync(("alice", agent, PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        // Rings long enough for the create-call reply to land first, so "ringing" is pushed before "connected".
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(800));

        var accepted = await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper)));

        Assert.Equal("queued", accepted["status"]!.GetValue<string>());
        Assert.Equal("phone", accepted["mode"]!.GetValue<string>());
        Assert.Contains("Phone call preferred", accepted["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var callId = accepted["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.Equal("alice", call.AgentId);
        Assert.NotNull(call.ConnectedAt);
        Assert.True(call.DurationSeconds > 0);
        var dialled = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        Assert.Contains(dialled.Parties, p => p.RawId == "4:" + shopper && p.Role == "target");
        Assert.Contains(dialled.Parties, p => p.RawId == "4:" + agent && p.Role == "added");
        Assert.Equal(new Uri(app.AppAddress, $"/api/calls/{callId}/events"), dialled.CallbackUri);

        var ended = Assert.Single(await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded"));
        Assert.Equal(CallOutcomes.Completed, ended.Outcome);
        Assert.Equal(merchant, ended.MerchantId);
        Assert.Equal("alice", ended.AgentId);

        var pushed = app.PubSub.RecentActivity.Where(a => a.Target == $"user:{merchant}:{session}").Select(a => JsonNode.Parse(a.Data!)!).ToList();
        Assert.All(pushed, p => Assert.Equal(callId, p["callId"]!.GetValue<string>()));
        Assert.Equal(["queued", "ringing", "connected", "ended"], pushed.Select(p => p["status"]!.GetValue<string>()).Distinct());
        Assert.Contains(app.PubSub.RecentActivity, a => a.Target == $"group:agents:{merchant}" && a.Data!.Contains("Idle in checkout", StringComparison.Ordinal));

        using var client = app.WidgetClient(merchant);
        var status = await client.GetFromJsonAsync<JsonObject>($"/api/calls/{callId}");
        Assert.Equal("ended", status!["status"]!.GetValue<string>());
        Assert.Equal("completed", status["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task BrowserAccept_ReturnsTheShoppersAcsToken_DialsThatUser_AndCompletes()
    {
        var merchant = await app.CreateMerchantAsync();
        var agentUser = $"8:acs:{app.Acs.ResourceId}_agent-{Guid.NewGuid():N}";
        app.Acs.Parties[agentUser] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        await app.AddAgentAsync(merchant, "bob", acsUser: agentUser);
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);

        var accepted = await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, "browser", true, null));

        Assert.Equal("browser", accepted["mode"]!.GetValue<string>());
        var token = accepted["acsToken"]!.AsObject();
        var shopperUser = token["userId"]!.GetValue<string>();
        Assert.StartsWith($"8:acs:{app.Acs.ResourceId}_", shopperUser, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(token["token"]!.GetValue<string>()));
        // How the widget takes the call: the local adapter, signalled over the stand-in the app's ACS settings name.
        Assert.Equal("local", accepted["calling"]!["adapter"]!.GetValue<string>());
        Assert.Equal(new Uri(app.Acs.Endpoint, "/calling/signaling").AbsoluteUri.Replace("http://", "ws://", StringComparison.Ordinal),
            accepted["calling"]!["signalingUrl"]!.GetValue<string>());
        var callId = accepted["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.Equal(CallMode.Browser, call.Mode);
        Assert.Equal("bob", call.AgentId);
        var dialled = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        Assert.Contains(dialled.Parties, p => p.RawId == shopperUser && p.Role == "target");
        Assert.Equal(CallOutcomes.Completed, Assert.Single(await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded")).Outcome);
    }

    [Theory]
    [InlineData("browser", true)]
    [InlineData("phone", false)]
    public async Task AnAgentWithBothDevices_IsInvitedOnTheOneTheyTakeCallsOn(string device, bool byIdentity)
    {
        var merchant = await app.CreateMerchantAsync();
        var agentUser = $"8:acs:{app.Acs.ResourceId}_agent-{Guid.NewGuid():N}";
        var agentPhone = NewNumber();
        var script = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        app.Acs.Parties[agentUser] = script;
        app.Acs.Parties[agentPhone] = script;
        using (var admin = app.AdminClient())
        {
            (await admin.PutAsJsonAsync($"/api/merchants/{merchant}/agents/carol",
                new { displayName = "Carol", available = true, phoneNumber = agentPhone, acsUserId = agentUser, takesCallsOn = device })).EnsureSuccessStatusCode();
            var listed = (await admin.GetFromJsonAsync<JsonArray>($"/api/merchants/{merchant}/agents"))!.Single()!;
            Assert.Equal(device, listed["takesCallsOn"]!.GetValue<string>());
        }

        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session);
        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(NewNumber()))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal("carol", call.AgentId);
        var dialled = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        var invited = Assert.Single(dialled.Parties, p => p.Role == "added");
        Assert.Equal(byIdentity ? agentUser : "4:" + agentPhone, invited.RawId);
    }

    [Theory]
    [InlineData(PartyBehavior.Busy, CallOutcomes.ShopperBusy)]
    [InlineData(PartyBehavior.NoAnswer, CallOutcomes.ShopperNoAnswer)]
    public async Task ShopperLegNotAnswered_IsAnOutcome_NotAnError(PartyBehavior behavior, string outcome)
    {
        var shopper = NewNumber();
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers()));
        app.Acs.Parties[shopper] = new PartyScript { Behavior = behavior, AnswerAfter = TimeSpan.FromMilliseconds(50) };

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Equal(outcome, call.Outcome);
        Assert.Null(call.ConnectedAt);
        Assert.Empty(call.AgentsTried);
        Assert.Equal(outcome, Assert.Single(await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded")).Outcome);
    }

    [Fact]
    public async Task FirstAgentDoesNotAnswer_TheNextAgentIsAdded()
    {
        var shopper = NewNumber();
        var (merchant, session, offer) = await SetUpAsync(
            ("first", NewNumber(), PartyScript.NeverAnswers()),
            ("second", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(["first", "second"], call.AgentsTried);
        Assert.Equal("second", call.AgentId);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
    }

    [Fact]
    public async Task AnAgentTheFlowGivesUpOn_HasTheirInvitationCancelledOnce_NeverJoins_AndTheNextAgentTakesTheCall()
    {
        var shopper = NewNumber();
        var late = NewNumber();
        // "late" is still ringing when the flow's invitation deadline passes (the fixture's 1 s invitation + the flow's
        // 10 s margin) and would answer 14 s after it: the flow's check, give-up and cancel get that long even on a
        // loaded machine (3 s was not always enough: "late" then answered first and rightly became the call's agent).
        // "next" stays on long enough for that late answer to land while the call is up: without the cancel, "late"
        // joins the call beside "next".
        var (merchant, session, offer) = await SetUpAsync(
            ("late", late, PartyScript.Answers(TimeSpan.FromSeconds(25)) with { HangUpAfter = TimeSpan.FromSeconds(2) }),
            ("next", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(20) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(90));

        Assert.Equal(["late", "next"], call.AgentsTried);
        Assert.Equal("next", call.AgentId);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.NotNull(call.ConnectedAt);
        var placed = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        var lateLeg = Assert.Single(placed.Parties, p => p.RawId == "4:" + late);
        var cancel = Assert.Single(app.Acs.InvitationCancels, c => c.CallConnectionId == placed.CallConnectionId);
        Assert.Equal(lateLeg.InvitationId, cancel.InvitationId);
        Assert.True(cancel.Cancelled, "the invitation was still ringing when it was cancelled");
        // Never on the call: a leg that had joined would have left when the call ended.
        Assert.Equal(PartyState.Failed, lateLeg.State);
        Assert.DoesNotContain(placed.Timeline, t => t.Text == $"{late} answered");
        Assert.Single(app.Acs.Requests, r => r.Path.Contains(placed.CallConnectionId, StringComparison.Ordinal) && r.Path.EndsWith("/participants:cancelAddParticipant", StringComparison.Ordinal));
        // The cancel's outcome reached the app and was acknowledged.
        var outcome = await app.WaitForAsync(
            () => app.Acs.DeliveredCallbacks.FirstOrDefault(d => d.CallConnectionId == placed.CallConnectionId && d.Type == "CancelAddParticipantSucceeded"), "CancelAddParticipantSucceeded");
        Assert.Equal(200, outcome.Status);
    }

    [Fact]
    public async Task AnAgentWhoAnswersJustAsTheirInvitationIsCancelled_IsTakenOffTheCallOnce_AndTheNextAgentKeepsTheCall()
    {
        var shopper = NewNumber();
        var late = NewNumber();
        var next = NewNumber();
        // "late" rings past the flow's invitation deadline and picks up in the moment the cancel reaches the stand-in,
        // so the cancel fails and "late" is on the call while the flow has moved on to "next". "next" stays 8 s: long
        // enough for "late" to have listened in, had their leg been left up until the call ended.
        var (merchant, session, offer) = await SetUpAsync(
            ("late", late, PartyScript.AnswersJustAsCancelled()),
            ("next", next, PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(8) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(90));

        Assert.Equal(["late", "next"], call.AgentsTried);
        Assert.Equal("next", call.AgentId);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        var placed = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        var cancel = Assert.Single(app.Acs.InvitationCancels, c => c.CallConnectionId == placed.CallConnectionId);
        Assert.False(cancel.Cancelled, "the stand-in lost the race: the agent answered before the cancel took");
        Assert.Contains(placed.Timeline, t => t.Text == $"{late} answered");
        // Taken off once, while the call was still going on with "next", not by the call's end; "next" never was.
        var removal = Assert.Single(app.Acs.ParticipantRemovals, r => r.CallConnectionId == placed.CallConnectionId);
        Assert.Equal("4:" + late, removal.PartyRawId);
        Assert.Single(app.Acs.Requests, r => r.Path.Contains(placed.CallConnectionId, StringComparison.Ordinal) && r.Path.EndsWith("/participants:remove", StringComparison.Ordinal));
        var timeline = placed.Timeline.Select(t => t.Text).ToList();
        Assert.True(timeline.IndexOf($"{late} removed from the call") < timeline.IndexOf($"{next} hung up"), string.Join(" | ", timeline));
        Assert.Equal(PartyState.Left, Assert.Single(placed.Parties, p => p.RawId == "4:" + late).State);
        // The removal's outcome reached the app and was acknowledged.
        var outcome = await app.WaitForAsync(
            () => app.Acs.DeliveredCallbacks.FirstOrDefault(d => d.CallConnectionId == placed.CallConnectionId && d.Type == "RemoveParticipantSucceeded"), "RemoveParticipantSucceeded");
        Assert.Equal(200, outcome.Status);
    }

    [Fact]
    public async Task NoAgentAnswers_ApologyPlayed_HungUp_OutcomeAgentUnavailable_AndACallbackScheduled()
    {
        var shopper = NewNumber();
        var (merchant, session, offer) = await SetUpAsync(("only", NewNumber(), PartyScript.NeverAnswers()));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver && c.CallbackCallId is not null);

        Assert.Equal(CallOutcomes.AgentUnavailable, call.Outcome);
        Assert.Equal(CallStatus.Ended, call.Status);
        var dialled = Assert.Single(app.Acs.Calls, c => c.OperationContext == callId);
        Assert.Contains(dialled.Timeline, t => t.Text.Contains("sorry.wav", StringComparison.Ordinal));
        Assert.Contains(dialled.Timeline, t => t.Text.Contains("terminated by the application", StringComparison.Ordinal));
        var callback = await app.CallAsync(call.CallbackCallId!);
        Assert.NotNull(callback);
        Assert.Equal(CallStatus.Scheduled, callback!.Status);
        Assert.Equal(callId, callback.CallbackOf);
        Assert.Equal(shopper, callback.ShopperPhone);
        Assert.True(callback.ScheduledFor > DateTimeOffset.UtcNow.AddMinutes(50));
        Assert.Equal(CallOutcomes.AgentUnavailable, Assert.Single(await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded")).Outcome);
    }

    [Fact]
    public async Task CallbacksDeliveredTwice_AreAppliedOnce()
    {
        var shopper = NewNumber();
        // The agent ends the call a second after joining (see CallbacksOutOfOrder).
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with
        {
            Faults = new AcsFaults { DeliverTwice = true },
        };

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        var connection = call.CallConnectionId!;
        // The last event's second copy may still be on its way when the call is already over.
        var delivered = await app.WaitForAsync(
            () => app.Acs.DeliveredCallbacks.Where(d => d.CallConnectionId == connection).ToList() is var all && all.Any(d => d.Type == "CallDisconnected") && all.GroupBy(d => d.EventId).All(g => g.Count() == 2) ? all : null,
            "every callback delivered twice");
        Assert.True(delivered.Count >= 8, $"only {delivered.Count} deliveries");
        Assert.Single(app.Acs.Requests, r => r.Path.Contains(connection, StringComparison.Ordinal) && r.Path.EndsWith("/participants:add", StringComparison.Ordinal));
        // CallEnded is published after the final record is stored: wait for it, then give a second one the chance to
        // show up if it were (wrongly) published.
        await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded");
        await Task.Delay(500);
        Assert.Single(app.Events.Ended(callId));
    }

    [Fact]
    public async Task CallbacksBeforeTheCreateCallReply_StillDriveTheCall()
    {
        var shopper = NewNumber();
        // The agent ends the call a second after joining (see CallbacksOutOfOrder).
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(20)) with
        {
            Faults = new AcsFaults { CallbacksBeforeReply = true },
        };

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.Equal("alice", call.AgentId);
        Assert.NotNull(call.ConnectedAt);
        Assert.Equal(1, app.CreateCallsFor(callId));
    }

    [Fact]
    public async Task CallbacksOutOfOrder_TheCallStillCompletesOnce()
    {
        var shopper = NewNumber();
        // The agent ends the call once they have joined: a shopper hanging up on a timer raced the held-back callbacks on a
        // loaded machine (hung up before the agent was added, so no agent joined).
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with
        {
            Faults = new AcsFaults { OutOfOrder = true },
        };

        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper))))["callId"]!.GetValue<string>();
        var call = await app.WaitForCallAsync(callId, c => c.IsOver);

        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        Assert.Equal("alice", call.AgentId);
        Assert.Single(await app.WaitForAsync(() => app.Events.Ended(callId) is { Count: > 0 } e ? e : null, "CallEnded"));
    }

    [Theory]
    [InlineData("wrong-key")]
    [InlineData("wrong-audience")]
    public async Task ForgedCallback_Answers401_AndChangesNothing(string forgery)
    {
        // A call that is scheduled far ahead, so nothing else changes it during the test.
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers()));
        var start = DateTime.UtcNow.AddHours(-1).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTime.UtcNow.AddHours(3).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        var callId = (await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false,
            CallsFixture.PhonePreferences(NewNumber(), new { start, end }))))["callId"]!.GetValue<string>();
        // The call's orchestration records the call as scheduled once; after that nothing changes it until its time.
        var before = await app.WaitForCallAsync(callId, c => c.StateChangedAt is not null);

        string token;
        if (forgery == "wrong-key")
        {
            using var rsa = System.Security.Cryptography.RSA.Create(2048);
            token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
            {
                Issuer = app.Acs.Issuer,
                Audience = app.Acs.ResourceId,
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                    new Microsoft.IdentityModel.Tokens.RsaSecurityKey(rsa) { KeyId = "forger" }, "RS256"),
            });
        }
        else
        {
            token = app.RealKeyTokenFor(Guid.NewGuid().ToString());
        }

        var body = new JsonArray(new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = "calling/callConnections/forged",
            ["type"] = "Microsoft.Communication.CallDisconnected",
            ["specversion"] = "1.0",
            ["time"] = DateTimeOffset.UtcNow.ToString("O"),
            ["data"] = new JsonObject { ["callConnectionId"] = "forged", ["operationContext"] = callId, ["resultInformation"] = new JsonObject { ["code"] = 200 } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/calls/{callId}/events")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var client = app.Client();
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains(forgery == "wrong-key" ? "unknown key" : "wrong audience", detail, StringComparison.Ordinal);
        var after = await app.CallAsync(callId);
        Assert.Equal(before!.ETag, after!.ETag);
        Assert.Equal(CallStatus.Scheduled, after.Status);
        Assert.Null(after.CallConnectionId);
    }

    [Fact]
    public async Task DoubleAccept_ReturnsTheSameCall_AndDialsOnce()
    {
        var shopper = NewNumber();
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100))));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
        var prefs = CallsFixture.PhonePreferences(shopper);

        var both = await Task.WhenAll(app.AcceptAsync(offer, merchant, session, null, false, prefs), app.AcceptAsync(offer, merchant, session, null, false, prefs));
        var first = await AcceptedAsync(both[0]);
        var second = await AcceptedAsync(both[1]);
        var third = await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, prefs));

        var callId = first["callId"]!.GetValue<string>();
        Assert.Equal(callId, second["callId"]!.GetValue<string>());
        Assert.Equal(callId, third["callId"]!.GetValue<string>());
        await app.WaitForCallAsync(callId, c => c.IsOver);
        await Task.Delay(500); // the orchestration's own dial, and any repeated start, must be answered as repeats
        Assert.Equal(1, app.CreateCallsFor(callId));
    }

    [Fact]
    public async Task QuietHours_TurnTheAcceptIntoACallback_ThatIsPlacedWhenTheyEnd()
    {
        var shopper = NewNumber();
        // The agent ends the call a second after joining (see CallbacksOutOfOrder).
        var (merchant, session, offer) = await SetUpAsync(("alice", NewNumber(), PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromSeconds(1) }));
        app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));
        var now = DateTime.UtcNow;
        // Quiet hours end in 8 s (to the second): the accept lands inside them even on a slow, shared machine.
        var quiet = new
        {
            start = now.AddHours(-1).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            end = now.AddSeconds(8).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        };

        var accepted = await AcceptedAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper, quiet)));

        Assert.Equal("scheduled", accepted["status"]!.GetValue<string>());
        var scheduledFor = accepted["scheduledFor"]!.GetValue<DateTimeOffset>();
        Assert.InRange(scheduledFor, new DateTimeOffset(now.AddSeconds(7)), new DateTimeOffset(now.AddSeconds(8)));
        Assert.Contains("quiet hours", accepted["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var callId = accepted["callId"]!.GetValue<string>();
        Assert.Equal(0, app.CreateCallsFor(callId));

        var call = await app.WaitForCallAsync(callId, c => c.IsOver);
        Assert.Equal(CallOutcomes.Completed, call.Outcome);
        var dialled = app.Acs.Calls.Single(c => c.OperationContext == callId).Timeline[0].At;
        Assert.True(dialled >= scheduledFor, $"dialled at {dialled:O}, before the quiet hours ended at {scheduledFor:O}");
        Assert.Equal(1, app.CreateCallsFor(callId));
    }
    [Fact]
    public async Task TwoCallsAtOnce_WithOneAgent_NeverHaveTheAgentOnBoth()
    {
        var merchant = await app.CreateMerchantAsync();
        var agentPhone = NewNumber();
        app.Acs.Parties[agentPhone] = PartyScript.Answers(TimeSpan.FromMilliseconds(100));
        await app.AddAgentAsync(merchant, "solo", phone: agentPhone);
        // Both shoppers answer together, after both accepts have passed the guard (the agent was free for each), and
        // talk a while: both calls then want the one agent at the same moment. 8 s, not 3: at load the agent's join
        // once came after both shoppers had hung up, and then neither call had had the agent.
        var shoppers = new[] { NewNumber(), NewNumber() };
        foreach (var shopper in shoppers)
        {
            app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromSeconds(2)) with { HangUpAfter = TimeSpan.FromSeconds(8) };
        }

        var sessions = shoppers.Select(_ => NewSession()).ToList();
        var offers = new List<string>();
        foreach (var session in sessions)
        {
            offers.Add(await app.NewOfferAsync(merchant, session));
        }

        var accepted = await Task.WhenAll(shoppers.Select((shopper, i) =>
            app.AcceptAsync(offers[i], merchant, sessions[i], null, false, CallsFixture.PhonePreferences(shopper))));
        var callIds = new List<string>();
        foreach (var response in accepted)
        {
            callIds.Add((await AcceptedAsync(response))["callId"]!.GetValue<string>());
        }

        var calls = await Task.WhenAll(callIds.Select(id => app.WaitForCallAsync(id, c => c.IsOver)));

        var withAgent = calls.Where(c => c.AgentId == "solo").OrderBy(c => c.ConnectedAt).ToList();
        Assert.NotEmpty(withAgent);
        for (var i = 1; i < withAgent.Count; i++)
        {
            Assert.True(withAgent[i].ConnectedAt >= withAgent[i - 1].EndedAt,
                $"solo was on {withAgent[i - 1].CallId} ({withAgent[i - 1].ConnectedAt:O}..{withAgent[i - 1].EndedAt:O}) and {withAgent[i].CallId} (from {withAgent[i].ConnectedAt:O})");
        }

        // From ACS's side too: the agent's leg was never in two calls at once.
        var legs = app.Acs.Calls.Where(c => callIds.Contains(c.OperationContext!) && c.Parties.Any(p => p.RawId == "4:" + agentPhone)).ToList();
        Assert.Equal(withAgent.Count, legs.Count);
        Assert.All(calls.Where(c => c.AgentId != "solo"), c => Assert.Equal(CallOutcomes.AgentUnavailable, c.Outcome));
    }
}
