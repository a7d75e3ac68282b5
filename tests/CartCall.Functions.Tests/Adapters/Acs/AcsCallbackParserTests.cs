using CartCall.Domain.Calls.Flow;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Adapters.Acs;

namespace CartCall.Functions.Tests.Adapters.Acs;

public sealed class AcsCallbackParserTests
{
    // A copy of shared/reference/acs-callback-samples.json (events the official parser accepts), read from the source tree.
    private static readonly string SamplesPath = Path.Combine(RepoRoot(), "tests", "CartCall.Functions.Tests", "Adapters", "Acs", "acs-callback-samples.json");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return dir.FullName;
        throw new InvalidOperationException("Functions.sln not found");
    }

    private static BinaryData Sample(string name)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(SamplesPath));
        return BinaryData.FromString(doc.RootElement.GetProperty(name).GetRawText());
    }

    [Fact]
    public void Parse_CallConnectedSample_GivesTypedEventWithCommonFields()
    {
        var e = Assert.IsType<CallConnectedEvent>(Assert.Single(AcsCallbackParser.Parse(Sample("CallConnected"))));

        Assert.Equal("37a29848-f8d8-4016-ae10-68f4bbe1319f", e.EventId);
        Assert.Equal("78190455-24ff-4871-843f-6a0b90f904d2", e.CallConnectionId);
        Assert.Equal("c2VydmVyLWNhbGwtMQ==", e.ServerCallId);
        Assert.Equal("3f1e2d3c-0000-4000-8000-000000000001", e.CorrelationId);
        Assert.Equal("ctx-pstn", e.OperationContext);
        Assert.Equal(new AcsResultInformation(200, 0, ""), e.ResultInformation);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), e.Time);
    }

    [Fact]
    public void Parse_DisconnectedPlayAndRecognizeSamples_GiveTheirTypes()
    {
        var disconnected = Assert.IsType<CallDisconnectedEvent>(Assert.Single(AcsCallbackParser.Parse(Sample("CallDisconnected"))));
        var played = Assert.IsType<PlayCompletedEvent>(Assert.Single(AcsCallbackParser.Parse(Sample("PlayCompleted"))));
        var recognized = Assert.IsType<RecognizeCompletedEvent>(Assert.Single(AcsCallbackParser.Parse(Sample("RecognizeCompleted"))));

        Assert.Equal(7000, disconnected.ResultInformation?.SubCode);
        Assert.Null(disconnected.OperationContext);
        Assert.Equal("play1", played.OperationContext);
        Assert.Equal("dtmf", recognized.RecognitionType);
        Assert.Equal("12#", recognized.Digits);
    }

    [Fact]
    public void Parse_UnknownType_IsReturnedAsUnknownEvent_NotAnError()
    {
        const string body = """[{"id":"1","source":"calling/callConnections/c","type":"Microsoft.Communication.HoldAudioStarted","data":{"callConnectionId":"c"},"specversion":"1.0"}]""";

        var e = Assert.IsType<UnknownAcsEvent>(Assert.Single(AcsCallbackParser.Parse(BinaryData.FromString(body))));

        Assert.Equal("Microsoft.Communication.HoldAudioStarted", e.Type);
        Assert.Equal("c", e.CallConnectionId);
    }

    [Fact]
    public void Parse_ParticipantsUpdatedAndAddParticipantFailed_ReadIdentifiers()
    {
        const string body = """
        [{"id":"1","source":"s","type":"Microsoft.Communication.ParticipantsUpdated","specversion":"1.0",
          "data":{"callConnectionId":"c","sequenceNumber":3,"participants":[
            {"identifier":{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123"}},"isMuted":true},
            {"identifier":{"rawId":"8:acs:r_agent"}}]}},
         {"id":"2","source":"s","type":"Microsoft.Communication.AddParticipantFailed","specversion":"1.0",
          "data":{"callConnectionId":"c","operationContext":"add","participant":{"kind":"communicationUser","communicationUser":{"id":"8:acs:r_agent"}},
                  "resultInformation":{"code":408,"subCode":0,"message":"no answer"}}}]
        """;

        var events = AcsCallbackParser.Parse(BinaryData.FromString(body));

        var updated = Assert.IsType<ParticipantsUpdatedEvent>(events[0]);
        Assert.Equal(3, updated.SequenceNumber);
        Assert.Equal(new AcsCallParticipant(new PhoneNumberIdentifier("+14255550123"), true, false), updated.Participants[0]);
        Assert.Equal(new CommunicationUserIdentifier("8:acs:r_agent"), updated.Participants[1].Identifier);
        var failed = Assert.IsType<AddParticipantFailedEvent>(events[1]);
        Assert.Equal(new CommunicationUserIdentifier("8:acs:r_agent"), failed.Participant);
        Assert.Equal(408, failed.ResultInformation?.Code);
    }

    [Fact]
    public void Parse_CancelAddParticipantOutcomes_CarryTheInvitationId_AndGiveTheFlowNoSignal()
    {
        const string body = """
        [{"id":"1","source":"s","type":"Microsoft.Communication.CancelAddParticipantSucceeded","specversion":"1.0",
          "data":{"callConnectionId":"c","serverCallId":"sc","correlationId":"co","operationContext":"ca_1|cancel.1","invitationId":"inv-1",
                  "resultInformation":{"code":200,"subCode":0,"message":"cancelled"}}},
         {"id":"2","source":"s","type":"Microsoft.Communication.CancelAddParticipantFailed","specversion":"1.0",
          "data":{"callConnectionId":"c","operationContext":"ca_1|cancel.2","invitationId":"inv-2",
                  "resultInformation":{"code":400,"subCode":0,"message":"already over"}}}]
        """;

        var events = AcsCallbackParser.Parse(BinaryData.FromString(body));

        var succeeded = Assert.IsType<CancelAddParticipantSucceededEvent>(events[0]);
        Assert.Equal(("inv-1", "ca_1|cancel.1", "sc"), (succeeded.InvitationId, succeeded.OperationContext, succeeded.ServerCallId));
        var failed = Assert.IsType<CancelAddParticipantFailedEvent>(events[1]);
        Assert.Equal(("inv-2", 400), (failed.InvitationId, failed.ResultInformation?.Code));
        // Acknowledged, never read as an agent's join or failure: the flow already moved on when it cancelled.
        Assert.All(events, e => Assert.Null(AcsCallSignals.From(e, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void Parse_RemoveParticipantOutcomes_CarryWhoWasRemoved_AndGiveTheFlowNoSignal()
    {
        const string body = """
        [{"id":"1","source":"s","type":"Microsoft.Communication.RemoveParticipantSucceeded","specversion":"1.0",
          "data":{"callConnectionId":"c","serverCallId":"sc","operationContext":"ca_1|remove.a1",
                  "participant":{"kind":"phoneNumber","rawId":"4:+14255550177","phoneNumber":{"value":"+14255550177"}},
                  "resultInformation":{"code":200,"subCode":0,"message":"removed"}}},
         {"id":"2","source":"s","type":"Microsoft.Communication.RemoveParticipantFailed","specversion":"1.0",
          "data":{"callConnectionId":"c","operationContext":"ca_1|remove.a2","participant":{"rawId":"8:acs:r_u2"},
                  "resultInformation":{"code":404,"subCode":0,"message":"not in call"}}}]
        """;

        var events = AcsCallbackParser.Parse(BinaryData.FromString(body));

        var succeeded = Assert.IsType<RemoveParticipantSucceededEvent>(events[0]);
        Assert.Equal((new PhoneNumberIdentifier("+14255550177"), "ca_1|remove.a1", "sc"), (succeeded.Participant, succeeded.OperationContext, succeeded.ServerCallId));
        var failed = Assert.IsType<RemoveParticipantFailedEvent>(events[1]);
        Assert.Equal(("8:acs:r_u2", 404), (failed.Participant?.RawId, failed.ResultInformation?.Code));
        // Acknowledged, never read as an agent's join or failure (a removal's context is not an agent's).
        Assert.All(events, e => Assert.Null(AcsCallSignals.From(e, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void AnAgentsJoin_TellsTheFlowWhoJoined_SoAJoinForAnInvitationItGaveUpOnIsKnown()
    {
        var joined = new AddParticipantSucceededEvent { EventId = "1", Type = "t", OperationContext = "ca_1|agent.1", Participant = new PhoneNumberIdentifier("+14255550177") };

        Assert.Equal(new AgentJoined(1, "4:+14255550177"), AcsCallSignals.From(joined, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Parse_NotCloudEvents_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => AcsCallbackParser.Parse(BinaryData.FromString("{not json")));
    }
}
