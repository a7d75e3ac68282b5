namespace CartCall.Functions.Adapters.Acs;

/// <summary>ACS's outcome of an operation (code 200 = success; e.g. 486 busy, 408 no answer).</summary>
public sealed record AcsResultInformation(int? Code, int? SubCode, string? Message);

/// <summary>A call participant as reported in ParticipantsUpdated.</summary>
public sealed record AcsCallParticipant(CommunicationIdentifier Identifier, bool IsMuted, bool IsOnHold);

/// <summary>A Call Automation callback event; fields common to all of them.</summary>
public abstract record AcsCallEvent
{
    public required string EventId { get; init; }
    public required string Type { get; init; }
    public DateTimeOffset? Time { get; init; }
    public string? CallConnectionId { get; init; }
    public string? ServerCallId { get; init; }
    public string? CorrelationId { get; init; }
    public string? OperationContext { get; init; }
    public AcsResultInformation? ResultInformation { get; init; }
}

public sealed record CallConnectedEvent : AcsCallEvent;

public sealed record CallDisconnectedEvent : AcsCallEvent;

public sealed record CreateCallFailedEvent : AcsCallEvent;

public sealed record AddParticipantSucceededEvent : AcsCallEvent
{
    public CommunicationIdentifier? Participant { get; init; }
}

public sealed record AddParticipantFailedEvent : AcsCallEvent
{
    public CommunicationIdentifier? Participant { get; init; }
}

/// <summary>An invitation the app cancelled was stopped: the invited party will not join.</summary>
public sealed record CancelAddParticipantSucceededEvent : AcsCallEvent
{
    public string? InvitationId { get; init; }
}

/// <summary>A cancel came too late (the invitation was already answered, declined or timed out) or was refused.</summary>
public sealed record CancelAddParticipantFailedEvent : AcsCallEvent
{
    public string? InvitationId { get; init; }
}

/// <summary>A participant the app removed is off the call.</summary>
public sealed record RemoveParticipantSucceededEvent : AcsCallEvent
{
    public CommunicationIdentifier? Participant { get; init; }
}

/// <summary>A removal the service could not carry out (the participant had already left, or it was refused).</summary>
public sealed record RemoveParticipantFailedEvent : AcsCallEvent
{
    public CommunicationIdentifier? Participant { get; init; }
}

public sealed record ParticipantsUpdatedEvent : AcsCallEvent
{
    public int? SequenceNumber { get; init; }
    public IReadOnlyList<AcsCallParticipant> Participants { get; init; } = [];
}

public sealed record PlayCompletedEvent : AcsCallEvent;

public sealed record PlayFailedEvent : AcsCallEvent;

public sealed record RecognizeCompletedEvent : AcsCallEvent
{
    public string? RecognitionType { get; init; }

    /// <summary>Tone names as sent (<c>one</c>, <c>pound</c>...).</summary>
    public IReadOnlyList<string> Tones { get; init; } = [];

    /// <summary>The tones as keys (<c>"12#"</c>); unknown names are skipped.</summary>
    public string Digits => string.Concat(Tones.Select(t => DtmfTones.TryFromWire(t, out var k) ? k.ToString() : ""));
}

public sealed record RecognizeFailedEvent : AcsCallEvent;

public sealed record CallTransferAcceptedEvent : AcsCallEvent
{
    public CommunicationIdentifier? TransferTarget { get; init; }
    public CommunicationIdentifier? Transferee { get; init; }
}

/// <summary>A type CartCall does not act on; kept so the handler can log and acknowledge it.</summary>
public sealed record UnknownAcsEvent : AcsCallEvent
{
    public BinaryData? Data { get; init; }
}
