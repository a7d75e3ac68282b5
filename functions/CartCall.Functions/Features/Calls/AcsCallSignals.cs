using System.Globalization;
using CartCall.Domain.Calls.Flow;
using CartCall.Functions.Adapters.Acs;

namespace CartCall.Functions.Features.Calls;

/// <summary>The operation contexts CartCall gives ACS requests: the call id, then what the request was for.</summary>
public static class CallFlowContexts
{
    private const string AgentPrefix = "agent.";
    private const string CancelPrefix = "cancel.";
    private const string RemovePrefix = "remove.";

    public static string Play(string callId, string what) => $"{callId}|{what}";

    public static string Agent(string callId, int attempt) => $"{callId}|{AgentPrefix}{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The cancel of attempt <paramref name="attempt"/>'s invitation; not an agent context, so its outcome is never read as a join.</summary>
    public static string CancelInvitation(string callId, int attempt) => $"{callId}|{CancelPrefix}{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The removal of agent <paramref name="agentId"/> from the call; not an agent context either.</summary>
    public static string RemoveAgent(string callId, string agentId) => $"{callId}|{RemovePrefix}{agentId}";

    /// <summary>The call id an event belongs to, from its operation context (null when it carries none).</summary>
    public static string? CallIdOf(string? operationContext) =>
        string.IsNullOrEmpty(operationContext) ? null : operationContext.Split('|', 2)[0];

    public static string? WhatOf(string? operationContext)
    {
        var bar = operationContext?.IndexOf('|', StringComparison.Ordinal) ?? -1;
        return bar < 0 ? null : operationContext![(bar + 1)..];
    }

    public static int? AttemptOf(string? operationContext) =>
        WhatOf(operationContext) is { } what && what.StartsWith(AgentPrefix, StringComparison.Ordinal)
        && int.TryParse(what.AsSpan(AgentPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            ? attempt
            : null;
}

/// <summary>Translates ACS Call Automation callbacks into the call flow's signals; events the flow does not use give null.</summary>
public static class AcsCallSignals
{
    public static CallSignal? From(AcsCallEvent e, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(e);
        var code = e.ResultInformation?.Code;
        var detail = e.ResultInformation is { } r ? $"{r.Code}/{r.SubCode} {r.Message}".Trim() : e.Type;
        return e switch
        {
            CallConnectedEvent => new ShopperConnected(e.Time ?? receivedAt, e.CallConnectionId),
            CreateCallFailedEvent => new ShopperNotReached(code, detail),
            CallDisconnectedEvent => new Disconnected(code, detail),
            // Who joined goes with it: a join for an invitation the flow gave up on takes that agent off the call.
            AddParticipantSucceededEvent joined when CallFlowContexts.AttemptOf(e.OperationContext) is { } attempt => new AgentJoined(attempt, joined.Participant?.RawId),
            AddParticipantFailedEvent when CallFlowContexts.AttemptOf(e.OperationContext) is { } attempt => new AgentDidNotJoin(attempt, detail),
            ParticipantsUpdatedEvent p => new ParticipantsChanged(p.SequenceNumber, [.. p.Participants.Select(x => x.Identifier.RawId)]),
            // The flow moved on when it cancelled: whether the cancel took or came too late (the agent's join, if any, is
            // an earlier attempt's and ignored), there is nothing left for it to do.
            CancelAddParticipantSucceededEvent or CancelAddParticipantFailedEvent => null,
            // The flow took the agent off the call and gave them back when the removal was accepted; a failed one is an
            // agent already gone (the ParticipantsUpdated that follows a removal shows who is still on).
            RemoveParticipantSucceededEvent or RemoveParticipantFailedEvent => null,
            PlayCompletedEvent or PlayFailedEvent when CallFlowContexts.WhatOf(e.OperationContext) is { } what => new PlayFinished(what),
            _ => null,
        };
    }
}
