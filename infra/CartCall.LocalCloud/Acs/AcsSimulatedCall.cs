using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CartCall.LocalCloud.Acs;

/// <summary>Where a simulated party is in its leg of the call.</summary>
public enum PartyState
{
    Ringing,
    Connected,
    Left,
    Failed,
}

/// <summary>A read-only view of a simulated call for tests and the page.</summary>
public sealed record AcsStandInCall(
    string CallConnectionId,
    string ServerCallId,
    string CorrelationId,
    string State,
    string? OperationContext,
    Uri CallbackUri,
    IReadOnlyList<AcsStandInParty> Parties,
    IReadOnlyList<AcsTimelineEntry> Timeline,
    DateTimeOffset CreatedAt = default);

/// <param name="InvitationId">For a party added to the call, the id its invitation was given (and is cancelled by).</param>
public sealed record AcsStandInParty(string RawId, string Label, string Role, PartyState State, PartyBehavior Behavior, bool Recognizing, bool Muted = false, string? InvitationId = null);

/// <summary>
/// A <c>participants:cancelAddParticipant</c> the stand-in carried out: <paramref name="Cancelled"/> when the invitation
/// was still ringing (it stopped; the party never joins), false when it had already ended (CancelAddParticipantFailed).
/// </summary>
public sealed record AcsInvitationCancel(string CallConnectionId, string InvitationId, string PartyRawId, bool Cancelled, DateTimeOffset At);

/// <summary>A <c>participants:remove</c> the stand-in carried out: <paramref name="PartyRawId"/>'s leg was dropped from the call.</summary>
public sealed record AcsParticipantRemoval(string CallConnectionId, string PartyRawId, DateTimeOffset At);

public sealed record AcsTimelineEntry(DateTimeOffset At, string Text);

/// <summary>A callback the stand-in tried to deliver and what the receiver answered (0 = network failure).</summary>
/// <param name="SentAt">When its first post started (the stand-in's clock): where a measure of the app's callback handling starts.</param>
public sealed record AcsDeliveredCallback(string CallConnectionId, string EventId, string Type, Uri Destination, int Status, DateTimeOffset SentAt = default);

/// <summary>An API request the stand-in received, for tests of retry and repeatability behaviour.</summary>
public sealed record AcsRecordedRequest(string Method, string Path, string? RepeatabilityRequestId, string? RepeatabilityFirstSent, int Status);

internal sealed class SimParty(AcsWire.Party party, PartyScript script, string role)
{
    public AcsWire.Party Party { get; } = party;
    public PartyScript Script { get; } = script;

    /// <summary>"target" (dialled by create call) or "added" (add participant).</summary>
    public string Role { get; } = role;

    public PartyState State { get; set; } = PartyState.Ringing;
    public string? InvitationId { get; init; }
    public string? OperationContext { get; init; }
    public Uri? OperationCallbackUri { get; init; }
    public SimRecognize? Recognize { get; set; }

    /// <summary>The party's own microphone state (pages report it; scripted parties never mute).</summary>
    public bool Muted { get; set; }

    /// <summary>A party that answers in a browser page (<see cref="PartyBehavior.Browser"/>).</summary>
    public bool InBrowser => Script.Behavior == PartyBehavior.Browser;

    /// <summary>The page that answered this browser leg; its SDP and ICE go to <see cref="Peer"/>.</summary>
    public object? Page { get; set; }

    /// <summary>The other browser leg this one exchanges media with, once both are connected.</summary>
    public SimParty? Peer { get; set; }
}

internal sealed class SimRecognize
{
    public required int MaxTones { get; init; }
    public required IReadOnlySet<string> StopTones { get; init; }
    public required TimeSpan InterToneTimeout { get; init; }
    public string? OperationContext { get; init; }
    public Uri? OperationCallbackUri { get; init; }
    public List<string> Tones { get; } = [];
}

internal sealed record OutboundEvent(string EventId, string Type, Uri Destination, string Body);

internal sealed class SimCall
{
    public required string Id { get; init; }
    public required string ServerCallId { get; init; }
    public required string CorrelationId { get; init; }
    public required Uri CallbackUri { get; init; }
    public string? OperationContext { get; init; }
    public required JsonObject Request { get; init; }
    public required AcsFaults Faults { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>All state changes happen under this lock; callbacks are queued, never sent, while it is held.</summary>
    public object Gate { get; } = new();

    public string State { get; set; } = "connecting";
    public List<SimParty> Parties { get; } = [];
    public List<AcsTimelineEntry> Timeline { get; } = [];
    public int Sequence { get; set; }

    public Channel<OutboundEvent> Outbox { get; } = Channel.CreateUnbounded<OutboundEvent>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Set when the first callback of the call was delivered (for the "callbacks before reply" fault).</summary>
    public TaskCompletionSource FirstDelivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsLive => State is "connecting" or "connected";

    /// <summary>When the call ended (for the measurements of browser calls).</summary>
    public DateTimeOffset? EndedAt { get; set; }
}
