using CartCall.Functions.Adapters.Acs;
using CartCall.LocalCloud.Acs;

namespace CartCall.Functions.Tests.Adapters.Acs;

/// <summary>The production ACS client and callback handling against the local ACS stand-in.</summary>
public sealed class AcsCallClientStandInTests
{
    [Fact]
    public async Task CreatePstnCall_CallConnectedCallbackArrives_WithTokenTheAuthenticatorAccepts()
    {
        await using var h = await AcsHarness.StartAsync();

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));

        Assert.Equal("connecting", call.CallConnectionState);
        Assert.Equal(new PhoneNumberIdentifier("+14255550123"), Assert.Single(call.Targets));
        Assert.Equal(new PhoneNumberIdentifier("+14255550100"), call.SourceCallerIdNumber);
        var connected = await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        Assert.Equal("ctx-pstn", connected.OperationContext);
        Assert.Equal(call.CorrelationId, connected.CorrelationId);
        Assert.Equal(200, connected.ResultInformation?.Code);
        Assert.Empty(h.Sink.Rejections);
        Assert.Equal("connected", (await h.Calls.GetCallAsync(call.CallConnectionId)).CallConnectionState);
    }

    [Fact]
    public async Task CreateCall_ToBusyParty_ReportsCreateCallFailed486_ThenCallDisconnected()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550199"] = PartyScript.IsBusy());

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550199", "ctx-busy"));

        var failed = await h.Sink.WaitForAsync<CreateCallFailedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        Assert.Equal(486, failed.ResultInformation?.Code);
        Assert.Equal("ctx-busy", failed.OperationContext);
        await h.Sink.WaitForAsync<CallDisconnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        Assert.DoesNotContain(h.Sink.Events, e => e is CallConnectedEvent);
    }

    [Fact]
    public async Task CreateCall_ToPartyThatNeverAnswers_ReportsCreateCallFailed408()
    {
        await using var h = await AcsHarness.StartAsync(o =>
        {
            o.Parties["+14255550198"] = PartyScript.NeverAnswers();
            o.RingTimeout = TimeSpan.FromMilliseconds(300);
        });

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550198"));

        var failed = await h.Sink.WaitForAsync<CreateCallFailedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        Assert.Equal(408, failed.ResultInformation?.Code);
    }

    [Fact]
    public async Task CreateCall_WithWrongAccessKey_ThrowsWithStatus401()
    {
        await using var h = await AcsHarness.StartAsync();
        var options = AcsHarness.OptionsFor(h.StandIn);
        options.ConnectionString = $"endpoint={h.StandIn.Endpoint.AbsoluteUri};accesskey={Convert.ToBase64String(new byte[32])}";
        var client = new AcsCallClient(options, TimeProvider.System);

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => client.CreateCallAsync(h.PstnCall("+14255550123")));

        Assert.Equal(401, error.Status);
        Assert.Equal("Unauthorized", error.ErrorCode);
        Assert.Equal("The request signature does not match.", error.ErrorMessage);
        Assert.Empty(h.StandIn.Calls);
    }

    [Fact]
    public async Task CreateCall_Retried503_KeepsRepeatabilityRequestId_AndPlacesOneCall()
    {
        await using var h = await AcsHarness.StartAsync();
        h.StandIn.InjectFailures(503, 1, "/calling/callConnections");

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));

        var creates = h.StandIn.Requests.Where(r => r.Method == "POST" && r.Path == "/calling/callConnections").ToList();
        Assert.Equal([503, 201], creates.Select(r => r.Status));
        Assert.NotNull(creates[0].RepeatabilityRequestId);
        Assert.Equal(creates[0].RepeatabilityRequestId, creates[1].RepeatabilityRequestId);
        Assert.Equal(creates[0].RepeatabilityFirstSent, creates[1].RepeatabilityFirstSent);
        Assert.Equal(call.CallConnectionId, Assert.Single(h.StandIn.Calls).CallConnectionId);
    }

    [Fact]
    public async Task CreateCall_400FromService_IsNotRetried()
    {
        await using var h = await AcsHarness.StartAsync();
        h.StandIn.InjectFailures(400, 1, "/calling/callConnections");

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => h.Calls.CreateCallAsync(h.PstnCall("+14255550123")));

        Assert.Equal(400, error.Status);
        Assert.Single(h.StandIn.Requests, r => r.Path == "/calling/callConnections");
    }

    [Fact]
    public async Task VoipCall_AddAgent_Play_Terminate_ProducesTheLifecycleEvents()
    {
        await using var h = await AcsHarness.StartAsync();
        var shopper = new CommunicationUserIdentifier($"8:acs:{h.StandIn.ResourceId}_shopper");
        var agent = new CommunicationUserIdentifier($"8:acs:{h.StandIn.ResourceId}_agent");

        var call = await h.Calls.CreateCallAsync(new CreateCallRequest([shopper], h.Sink.Url) { OperationContext = "c1" });
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        var added = await h.Calls.AddParticipantAsync(call.CallConnectionId, agent, invitationTimeoutSeconds: 20, operationContext: "add-agent");
        Assert.Equal(agent, added.Participant);
        Assert.False(string.IsNullOrEmpty(added.InvitationId));
        var joined = await h.Sink.WaitForAsync<AddParticipantSucceededEvent>(e => e.OperationContext == "add-agent");
        Assert.Equal(agent, joined.Participant);
        var both = await h.Sink.WaitForAsync<ParticipantsUpdatedEvent>(e => e.Participants.Count == 2);
        Assert.Contains(both.Participants, p => p.Identifier == shopper);

        await h.Calls.PlayAsync(call.CallConnectionId, new PlayRequest([new FilePlaySource(new Uri("http://127.0.0.1/hold.wav"))]) { OperationContext = "play-1" });
        await h.Sink.WaitForAsync<PlayCompletedEvent>(e => e.OperationContext == "play-1");

        await h.Calls.HangUpAsync(call.CallConnectionId, forEveryone: true);
        await h.Sink.WaitForAsync<CallDisconnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        // As the service does, a call that has ended is soon no longer found (bounded wait: the disconnect's callback
        // may be sent just before the call is closed).
        var gone = await GoneAsync(h, call.CallConnectionId);
        Assert.Equal(404, gone.Status);
        Assert.Empty(h.Sink.Rejections);
    }

    private static async Task<AcsRequestFailedException> GoneAsync(AcsHarness h, string callConnectionId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var state = (await h.Calls.GetCallAsync(callConnectionId)).CallConnectionState;
                Assert.True(attempt < 100, $"the ended call is still found, {state}");
                Assert.Equal("disconnected", state);
                await Task.Delay(50);
            }
            catch (AcsRequestFailedException e)
            {
                return e;
            }
        }
    }

    [Fact]
    public async Task AddParticipant_BusyAgent_ReportsAddParticipantFailed()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550177"] = PartyScript.IsBusy());
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        await h.Calls.AddParticipantAsync(call.CallConnectionId, new PhoneNumberIdentifier("+14255550177"), new PhoneNumberIdentifier("+14255550100"), operationContext: "agent-busy");

        var failed = await h.Sink.WaitForAsync<AddParticipantFailedEvent>(e => e.OperationContext == "agent-busy");
        Assert.Equal(new PhoneNumberIdentifier("+14255550177"), failed.Participant);
        Assert.Equal(486, failed.ResultInformation?.Code);
    }

    [Fact]
    public async Task DtmfRecognition_PartyPressesKeys_RecognizeCompletedCarriesTones()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550150"] = new PartyScript { DtmfKeys = "12#9" });
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550150"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        await h.Calls.StartDtmfRecognitionAsync(call.CallConnectionId, new DtmfRecognitionRequest(new PhoneNumberIdentifier("+14255550150"))
        {
            MaxTonesToCollect = 4,
            StopTones = ['#'],
            OperationContext = "menu",
        });

        var recognized = await h.Sink.WaitForAsync<RecognizeCompletedEvent>(e => e.OperationContext == "menu");
        Assert.Equal("12#", recognized.Digits);
        Assert.Equal(["one", "two", "pound"], recognized.Tones);
    }

    [Fact]
    public async Task ShopperHangsUpAfterScriptedTime_CallDisconnects()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550160"] = new PartyScript { HangUpAfter = TimeSpan.FromMilliseconds(200) });

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550160"));

        var ended = await h.Sink.WaitForAsync<CallDisconnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        Assert.Equal(7000, ended.ResultInformation?.SubCode);
    }

    [Fact]
    public async Task ManualParty_WaitsForAPerson_ThenConnects()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550170"] = PartyScript.ByPerson());
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550170"));
        Assert.Equal(PartyState.Ringing, Assert.Single(Assert.Single(h.StandIn.Calls).Parties).State);

        using var http = new HttpClient();

        // The page's Answer button posts this.
        var answer = await http.PostAsync(new Uri(h.StandIn.Endpoint, $"_standin/calls/{call.CallConnectionId}/parties/{Uri.EscapeDataString("4:+14255550170")}/answer"), null);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, answer.StatusCode);
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        var again = await http.PostAsync(new Uri(h.StandIn.Endpoint, $"_standin/calls/{call.CallConnectionId}/parties/{Uri.EscapeDataString("4:+14255550170")}/answer"), null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task FaultDeliverTwice_SameEventIdArrivesTwice()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Faults = new AcsFaults { DeliverTwice = true });
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));

        await h.Sink.WaitForAsync<ParticipantsUpdatedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        var connected = await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        await WaitUntil(() => h.Sink.Events.Count(e => e.EventId == connected.EventId) == 2);

        Assert.Equal(2, h.Sink.Events.Count(e => e.EventId == connected.EventId));
    }

    [Fact]
    public async Task FaultCallbacksBeforeReply_CallConnectedArrivesBeforeCreateReturns()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Faults = new AcsFaults { CallbacksBeforeReply = true });

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));

        Assert.Contains(h.Sink.Events, e => e is CallConnectedEvent && e.CallConnectionId == call.CallConnectionId);
    }

    [Fact]
    public async Task FaultOutOfOrder_ParticipantsUpdatedArrivesBeforeCallConnected()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Faults = new AcsFaults { OutOfOrder = true });

        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        var order = h.Sink.Events.Where(e => e.CallConnectionId == call.CallConnectionId).Select(e => e.GetType()).ToList();
        Assert.True(order.IndexOf(typeof(ParticipantsUpdatedEvent)) < order.IndexOf(typeof(CallConnectedEvent)), string.Join(",", order.Select(t => t.Name)));
    }

    [Fact]
    public async Task CancelAddParticipant_ARingingInvitation_IsStoppedByItsId_TheCallbackCarriesTheIdAndContext_AndTheAgentNeverJoins()
    {
        await using var h = await AcsHarness.StartAsync(o => o.Parties["+14255550177"] = PartyScript.NeverAnswers());
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        var added = await h.Calls.AddParticipantAsync(call.CallConnectionId, new PhoneNumberIdentifier("+14255550177"), new PhoneNumberIdentifier("+14255550100"), 30, "ca_1|agent.1");

        var cancelled = await h.Calls.CancelAddParticipantAsync(call.CallConnectionId, added.InvitationId!, "ca_1|cancel.1");

        Assert.Equal(new CancelAddParticipantResult(added.InvitationId, "ca_1|cancel.1"), cancelled);
        var done = await h.Sink.WaitForAsync<CancelAddParticipantSucceededEvent>(e => e.OperationContext == "ca_1|cancel.1");
        Assert.Equal(added.InvitationId, done.InvitationId);
        Assert.Equal(call.CallConnectionId, done.CallConnectionId);
        var request = Assert.Single(h.StandIn.Requests, r => r.Path.EndsWith("/participants:cancelAddParticipant", StringComparison.Ordinal));
        Assert.True(Guid.TryParse(request.RepeatabilityRequestId, out _), "a cancel is sent repeatable, so a retry is never a second cancel");
        Assert.True(Assert.Single(h.StandIn.InvitationCancels).Cancelled);
        Assert.DoesNotContain(h.Sink.Events, e => e is AddParticipantSucceededEvent or AddParticipantFailedEvent);
        Assert.Empty(h.Sink.Rejections);
    }

    [Fact]
    public async Task CancelAddParticipant_AnUnknownInvitation_IsA404_TheActivityTakesAsAlreadyOver()
    {
        await using var h = await AcsHarness.StartAsync();
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => h.Calls.CancelAddParticipantAsync(call.CallConnectionId, Guid.NewGuid().ToString(), "x"));

        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task RemoveParticipant_AConnectedAgent_IsTakenOffByRawId_AndTheCallbackCarriesWhoAndTheContext()
    {
        await using var h = await AcsHarness.StartAsync();
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        await h.Calls.AddParticipantAsync(call.CallConnectionId, new PhoneNumberIdentifier("+14255550177"), new PhoneNumberIdentifier("+14255550100"), 30, "ca_1|agent.1");
        await h.Sink.WaitForAsync<AddParticipantSucceededEvent>(e => e.OperationContext == "ca_1|agent.1");

        var removed = await h.Calls.RemoveParticipantAsync(call.CallConnectionId, "4:+14255550177", "ca_1|remove.a1");

        Assert.Equal(new RemoveParticipantResult("ca_1|remove.a1"), removed);
        var done = await h.Sink.WaitForAsync<RemoveParticipantSucceededEvent>(e => e.OperationContext == "ca_1|remove.a1");
        Assert.Equal(new PhoneNumberIdentifier("+14255550177"), done.Participant);
        Assert.Equal(call.CallConnectionId, done.CallConnectionId);
        var request = Assert.Single(h.StandIn.Requests, r => r.Path.EndsWith("/participants:remove", StringComparison.Ordinal));
        Assert.True(Guid.TryParse(request.RepeatabilityRequestId, out _), "a removal is sent repeatable, so a retry is never a second one");
        Assert.Equal("4:+14255550177", Assert.Single(h.StandIn.ParticipantRemovals).PartyRawId);
        Assert.Empty(h.Sink.Rejections);
    }

    [Fact]
    public async Task RemoveParticipant_SomeoneNotOnTheCall_IsA404_TheActivityTakesAsAlreadyGone()
    {
        await using var h = await AcsHarness.StartAsync();
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => h.Calls.RemoveParticipantAsync(call.CallConnectionId, "4:+14255550177", "x"));

        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task IdentityClient_CreatesUserAndVoipToken_AndReissuesToken()
    {
        await using var h = await AcsHarness.StartAsync();
        var identity = new AcsIdentityClient(h.Options, TimeProvider.System);

        var created = await identity.CreateUserAndTokenAsync(["voip"]);
        var again = await identity.IssueTokenAsync(created.User, ["voip"], TimeSpan.FromHours(1));

        Assert.StartsWith($"8:acs:{h.StandIn.ResourceId}_", created.User.Id, StringComparison.Ordinal);
        Assert.Equal(3, created.Token.Split('.').Length);
        Assert.True(created.ExpiresOn > DateTimeOffset.UtcNow.AddHours(1));
        Assert.NotEqual(created.Token, again.Token);
    }

    [Fact]
    public async Task GetCall_UnknownId_Throws404WithServiceErrorCode()
    {
        await using var h = await AcsHarness.StartAsync();

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => h.Calls.GetCallAsync("no-such-call"));

        Assert.Equal(404, error.Status);
        Assert.Equal("CallNotFound", error.ErrorCode);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
    }
}
