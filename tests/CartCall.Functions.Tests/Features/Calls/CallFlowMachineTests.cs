using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Calls;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>The call state machine alone: decisions for ordinary, late, stale and reordered events.</summary>
public sealed class CallFlowMachineTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static CallRecord Call(CallStatus status = CallStatus.Ringing, CallMode mode = CallMode.Phone) => new()
    {
        CallId = "ca_1",
        MerchantId = "m",
        SessionId = "s",
        Mode = mode,
        Status = status,
        ShopperPhone = "+12015550101",
        CreatedAt = Now.AddMinutes(-1),
    };

    private static AcsResultInformation Result(int code) => new(code, 0, null);

    [Fact]
    public void CallConnected_WithoutGreeting_ConnectsAndAddsTheFirstAgent()
    {
        var call = Call(CallStatus.Queued);

        var t = CallFlow.Apply(call, new CallConnectedEvent { EventId = "e1", Type = "CallConnected", CallConnectionId = "cc-1", OperationContext = "ca_1" }, Now, hasGreeting: false);

        Assert.Equal(CallStatus.Connected, call.Status);
        Assert.Equal("cc-1", call.CallConnectionId);
        Assert.Equal([CallActionKind.Push, CallActionKind.AddNextAgent], t.Actions.Select(a => a.Kind));
    }

    [Fact]
    public void CallConnected_WithGreeting_PlaysItFirst()
    {
        var call = Call();

        var t = CallFlow.Apply(call, new CallConnectedEvent { EventId = "e1", Type = "CallConnected" }, Now, hasGreeting: true);

        Assert.Equal(CallPhase.Greeting, call.Phase);
        Assert.Equal([CallActionKind.Push, CallActionKind.PlayGreeting], t.Actions.Select(a => a.Kind));
    }

    [Fact]
    public void AddParticipantFailed_ForAnEarlierInvitation_ChangesNothing()
    {
        var call = Call(CallStatus.Connected);
        CallFlow.StartAgentAttempt(call, "a1", "4:+12015550201");
        CallFlow.StartAgentAttempt(call, "a2", "4:+12015550202");

        var t = CallFlow.Apply(call, new AddParticipantFailedEvent { EventId = "e", Type = "AddParticipantFailed", OperationContext = CallFlow.AgentContext("ca_1", 1) }, Now, false);

        Assert.False(t.Changed);
        Assert.Equal("a2", call.CurrentAgentId);
    }

    [Fact]
    public void AddParticipantFailed_ForTheCurrentInvitation_TriesTheNextAgent()
    {
        var call = Call(CallStatus.Connected);
        CallFlow.StartAgentAttempt(call, "a1", "4:+12015550201");

        var t = CallFlow.Apply(call, new AddParticipantFailedEvent { EventId = "e", Type = "AddParticipantFailed", OperationContext = CallFlow.AgentContext("ca_1", 1), ResultInformation = Result(408) }, Now, false);

        Assert.Equal([CallActionKind.AddNextAgent], t.Actions.Select(a => a.Kind));
    }

    [Fact]
    public void DisconnectOvertakingCreateCallFailed_StillRecordsShopperBusy_AndTheLateFailureChangesNothing()
    {
        var call = Call();

        var ended = CallFlow.Apply(call, new CallDisconnectedEvent { EventId = "e2", Type = "CallDisconnected", ResultInformation = Result(486) }, Now, false);
        var late = CallFlow.Apply(call, new CreateCallFailedEvent { EventId = "e1", Type = "CreateCallFailed", ResultInformation = Result(486) }, Now, false);

        Assert.Equal(CallStatus.Ended, call.Status);
        Assert.Equal(CallOutcomes.ShopperBusy, call.Outcome);
        Assert.Contains(ended.Actions, a => a.Kind == CallActionKind.PublishEnded);
        Assert.False(late.Changed);
    }

    [Fact]
    public void CreateCallFailed_WithAnUnknownCode_IsAFailedCall()
    {
        var call = Call();

        CallFlow.Apply(call, new CreateCallFailedEvent { EventId = "e1", Type = "CreateCallFailed", ResultInformation = Result(500) }, Now, false);

        Assert.Equal(CallStatus.Failed, call.Status);
        Assert.Equal(CallOutcomes.Failed, call.Outcome);
    }

    [Fact]
    public void ParticipantsUpdate_OlderThanOneAlreadySeen_IsIgnored()
    {
        var call = Call(CallStatus.Connected);
        call.LastParticipantsSequence = 5;

        var t = CallFlow.Apply(call, new ParticipantsUpdatedEvent { EventId = "e", Type = "ParticipantsUpdated", SequenceNumber = 4 }, Now, false);

        Assert.False(t.Changed);
    }

    [Fact]
    public void ShopperLeavingAfterTheAgentJoined_HangsUpForEveryone()
    {
        var call = Call(CallStatus.Connected);
        var agent = new PhoneNumberIdentifier("+12015550201");
        var shopper = new PhoneNumberIdentifier("+12015550101");
        CallFlow.StartAgentAttempt(call, "a1", agent.RawId);
        CallFlow.Apply(call, new AddParticipantSucceededEvent { EventId = "j", Type = "AddParticipantSucceeded", OperationContext = CallFlow.AgentContext("ca_1", 1), Participant = agent }, Now, false);
        CallFlow.Apply(call, Update(2, shopper, agent), Now, false);

        var t = CallFlow.Apply(call, Update(3, agent), Now, false);

        Assert.Equal([CallActionKind.HangUp], t.Actions.Select(a => a.Kind));
        Assert.Equal(CallPhase.HangingUp, call.Phase);
    }

    [Fact]
    public void UpdatesOvertakingAddParticipantSucceeded_StillEndTheCallWhenItArrives()
    {
        var call = Call(CallStatus.Connected);
        var agent = new PhoneNumberIdentifier("+12015550201");
        var shopper = new PhoneNumberIdentifier("+12015550101");
        CallFlow.StartAgentAttempt(call, "a1", agent.RawId);
        CallFlow.Apply(call, Update(2, shopper, agent), Now, false);
        CallFlow.Apply(call, Update(3, agent), Now, false);

        var t = CallFlow.Apply(call, new AddParticipantSucceededEvent { EventId = "j", Type = "AddParticipantSucceeded", OperationContext = CallFlow.AgentContext("ca_1", 1), Participant = agent }, Now, false);

        Assert.Contains(t.Actions, a => a.Kind == CallActionKind.HangUp);
        Assert.Equal("a1", call.AgentId);
    }

    [Theory]
    [InlineData(CallMode.Phone, true)]
    [InlineData(CallMode.Browser, false)]
    public void NoAgentLeft_Apologises_AndSchedulesACallbackOnlyForPhoneCalls(CallMode mode, bool callback)
    {
        var call = Call(CallStatus.Connected, mode);

        var t = CallFlow.NoAgentLeft(call, hasApology: true);

        Assert.Equal(CallOutcomes.AgentUnavailable, call.Outcome);
        Assert.Equal(CallPhase.Apology, call.Phase);
        Assert.Equal(callback, t.Actions.Any(a => a.Kind == CallActionKind.ScheduleCallback));
        Assert.Contains(t.Actions, a => a.Kind == CallActionKind.PlayApology);
    }

    [Fact]
    public void AnyEventOnAnEndedCall_ChangesNothing()
    {
        var call = Call();
        CallFlow.End(call, Now, CallOutcomes.Completed, CallStatus.Ended, null);

        var t = CallFlow.Apply(call, new CallConnectedEvent { EventId = "late", Type = "CallConnected", CallConnectionId = call.CallConnectionId }, Now, false);

        Assert.False(t.Changed);
        Assert.Equal(CallStatus.Ended, call.Status);
    }

    private static ParticipantsUpdatedEvent Update(int sequence, params CommunicationIdentifier[] present) => new()
    {
        EventId = "pu" + sequence,
        Type = "ParticipantsUpdated",
        SequenceNumber = sequence,
        Participants = present.Select(p => new AcsCallParticipant(p, false, false)).ToList(),
    };
}
