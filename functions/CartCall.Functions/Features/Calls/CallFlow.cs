using System.Globalization;
using CartCall.Functions.Adapters.Acs;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Calls;

public enum CallActionKind
{
    /// <summary>Tell the widget and the agents the call's status.</summary>
    Push,

    /// <summary>Emit <c>CartCall.CallEnded</c>.</summary>
    PublishEnded,

    PlayGreeting,

    PlayApology,

    /// <summary>Invite the next available agent who has not been tried, or give up with an apology.</summary>
    AddNextAgent,

    /// <summary>End the call for everyone.</summary>
    HangUp,

    /// <summary>Arrange to phone the shopper back later (nobody could take the call).</summary>
    ScheduleCallback,
}

public sealed record CallAction(CallActionKind Kind, string? Detail = null);

/// <summary>What an event did to a call: whether the state changed and what to do now that it has.</summary>
public sealed record CallTransition(bool Changed, IReadOnlyList<CallAction> Actions)
{
    public static readonly CallTransition None = new(false, []);
}

/// <summary>
/// The call's state machine, without I/O: given the stored call and one callback event, the new state and the
/// actions that follow. Events are keyed by call id (the callback URL and operation contexts carry it), never by
/// the call connection id, so an event that beats the create-call reply still applies. Late and reordered events
/// are recognised by phase, agent attempt number and participants sequence number, and change nothing.
/// </summary>
public static class CallFlow
{
    public const string Greeting = "greeting";
    public const string Apology = "apology";
    private const string AgentPrefix = "agent.";

    public static string PlayContext(string callId, string what) => $"{callId}|{what}";

    public static string AgentContext(string callId, int attempt) => $"{callId}|{AgentPrefix}{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The call id an event belongs to, from its operation context (null when it carries none).</summary>
    public static string? CallIdOf(string? operationContext) =>
        string.IsNullOrEmpty(operationContext) ? null : operationContext.Split('|', 2)[0];

    public static CallTransition Apply(CallRecord call, AcsCallEvent e, DateTimeOffset now, bool hasGreeting)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(e);
        var learned = false;
        if (e.CallConnectionId is { Length: > 0 } connection && call.CallConnectionId is null)
        {
            // The event beat the create-call reply: it tells us the connection id first.
            call.CallConnectionId = connection;
            learned = true;
        }

        var transition = ApplyCore(call, e, now, hasGreeting);
        return learned && !transition.Changed ? transition with { Changed = true } : transition;
    }

    private static CallTransition ApplyCore(CallRecord call, AcsCallEvent e, DateTimeOffset now, bool hasGreeting)
    {
        if (call.IsOver)
        {
            return LateEvent(call, e);
        }

        var what = What(e.OperationContext);
        switch (e)
        {
            case CreateCallFailedEvent:
            {
                var code = e.ResultInformation?.Code;
                var outcome = CallOutcomes.FromShopperLegCode(code);
                return End(call, now, outcome ?? CallOutcomes.Failed, outcome is null ? CallStatus.Failed : CallStatus.Ended, Describe(e));
            }

            case CallConnectedEvent when call.Status is CallStatus.Queued or CallStatus.Ringing or CallStatus.Scheduled:
                call.Status = CallStatus.Connected;
                call.ConnectedAt = e.Time ?? now;
                if (hasGreeting)
                {
                    call.Phase = CallPhase.Greeting;
                    return new(true, [new(CallActionKind.Push), new(CallActionKind.PlayGreeting)]);
                }

                return new(true, [new(CallActionKind.Push), new(CallActionKind.AddNextAgent)]);

            case PlayCompletedEvent or PlayFailedEvent when what == Greeting && call.Phase == CallPhase.Greeting:
                return new(true, [new(CallActionKind.AddNextAgent)]);

            case PlayCompletedEvent or PlayFailedEvent when what == Apology && call.Phase == CallPhase.Apology:
                call.Phase = CallPhase.HangingUp;
                return new(true, [new(CallActionKind.HangUp)]);

            case AddParticipantSucceededEvent joined when call.Phase == CallPhase.AddingAgent && what == AgentTag(call.AgentAttempt):
                call.Phase = CallPhase.Talking;
                call.AgentId = call.CurrentAgentId;
                call.AgentRawId = joined.Participant?.RawId ?? call.CurrentAgentRawId;
                if (call.PartedAtSequence is not null)
                {
                    // Reordered: the update saying someone already left came before this one.
                    call.Phase = CallPhase.HangingUp;
                    return new(true, [new(CallActionKind.Push, "agent_joined"), new(CallActionKind.HangUp)]);
                }

                return new(true, [new(CallActionKind.Push, "agent_joined")]);

            case AddParticipantFailedEvent when call.Phase == CallPhase.AddingAgent && what == AgentTag(call.AgentAttempt):
                call.Detail = $"agent {call.CurrentAgentId} did not join ({Describe(e)})";
                return new(true, [new(CallActionKind.AddNextAgent)]);

            case ParticipantsUpdatedEvent updated:
                return Participants(call, updated);

            case CallDisconnectedEvent:
            {
                string outcome;
                if (call.Outcome is { } known)
                {
                    outcome = known;
                }
                else if (call.AgentId is not null)
                {
                    outcome = CallOutcomes.Completed;
                }
                else if (call.ConnectedAt is not null)
                {
                    outcome = CallOutcomes.ShopperHungUp;
                }
                else
                {
                    // Reordered: the disconnect overtook CreateCallFailed; its result says why the leg failed.
                    outcome = CallOutcomes.FromShopperLegCode(e.ResultInformation?.Code) ?? CallOutcomes.Failed;
                }

                var ok = call.ConnectedAt is not null || outcome != CallOutcomes.Failed;
                return End(call, now, outcome, ok ? CallStatus.Ended : CallStatus.Failed, call.Detail ?? Describe(e));
            }

            default:
                return CallTransition.None;
        }
    }

    /// <summary>The executor chose <paramref name="agentId"/> to invite next.</summary>
    public static int StartAgentAttempt(CallRecord call, string agentId, string agentRawId)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.AgentAttempt++;
        call.CurrentAgentId = agentId;
        call.CurrentAgentRawId = agentRawId;
        call.AgentsTried.Add(agentId);
        call.Phase = CallPhase.AddingAgent;
        return call.AgentAttempt;
    }

    /// <summary>No agent is left to try: apologise (or hang up) and, for a phone call, offer a callback.</summary>
    public static CallTransition NoAgentLeft(CallRecord call, bool hasApology)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.Outcome = CallOutcomes.AgentUnavailable;
        call.CurrentAgentId = null;
        var actions = new List<CallAction>();
        if (call.Mode == CallMode.Phone && call.CallbackOf is null)
        {
            actions.Add(new(CallActionKind.ScheduleCallback));
        }

        if (hasApology)
        {
            call.Phase = CallPhase.Apology;
            actions.Add(new(CallActionKind.PlayApology));
        }
        else
        {
            call.Phase = CallPhase.HangingUp;
            actions.Add(new(CallActionKind.HangUp));
        }

        return new(true, actions);
    }

    /// <summary>Ends the call (idempotent): status, outcome, duration; then push and publish.</summary>
    public static CallTransition End(CallRecord call, DateTimeOffset now, string outcome, CallStatus status, string? detail)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.IsOver)
        {
            return CallTransition.None;
        }

        call.Status = status;
        call.Outcome = call.Outcome ?? outcome;
        call.Detail = detail ?? call.Detail;
        call.EndedAt = now;
        call.DurationSeconds = call.ConnectedAt is { } connected ? Math.Max(0, (now - connected).TotalSeconds) : 0;
        call.Phase = CallPhase.None;
        return new(true, [new(CallActionKind.Push, call.Outcome), new(CallActionKind.PublishEnded)]);
    }

    private static CallTransition Participants(CallRecord call, ParticipantsUpdatedEvent e)
    {
        var sequence = e.SequenceNumber ?? call.LastParticipantsSequence + 1;
        if (sequence <= call.LastParticipantsSequence)
        {
            return CallTransition.None; // an older picture, overtaken by a newer one
        }

        call.LastParticipantsSequence = sequence;
        var agent = call.AgentRawId ?? call.CurrentAgentRawId;
        if (agent is null || call.Phase is not (CallPhase.AddingAgent or CallPhase.Talking))
        {
            return new(true, []);
        }

        // Updates may overtake AddParticipantSucceeded, so the picture is tracked while the agent is still being added.
        var present = e.Participants.Select(p => p.Identifier.RawId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (present.Contains(agent) && present.Contains(call.ShopperRawId))
        {
            call.TogetherSinceSequence ??= sequence;
        }
        else if (call.TogetherSinceSequence is { } since && sequence > since)
        {
            call.PartedAtSequence ??= sequence;
        }

        if (call.Phase == CallPhase.Talking && call.PartedAtSequence is not null)
        {
            // Shopper or agent left a two-party conversation: end it for the other one too.
            call.Phase = CallPhase.HangingUp;
            return new(true, [new(CallActionKind.HangUp)]);
        }

        return new(true, []);
    }

    private static CallTransition LateEvent(CallRecord call, AcsCallEvent e)
    {
        // A CreateCallFailed overtaken by its CallDisconnected may still say better why the shopper was not reached.
        if (e is CreateCallFailedEvent && call.ConnectedAt is null && call.Outcome == CallOutcomes.Failed
            && CallOutcomes.FromShopperLegCode(e.ResultInformation?.Code) is { } better)
        {
            call.Outcome = better;
            call.Status = CallStatus.Ended;
            return new(true, []);
        }

        return CallTransition.None;
    }

    private static string? What(string? operationContext)
    {
        if (string.IsNullOrEmpty(operationContext))
        {
            return null;
        }

        var bar = operationContext.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? null : operationContext[(bar + 1)..];
    }

    private static string AgentTag(int attempt) => AgentPrefix + attempt.ToString(CultureInfo.InvariantCulture);

    private static string Describe(AcsCallEvent e) =>
        e.ResultInformation is { } r ? $"{r.Code}/{r.SubCode} {r.Message}".Trim() : e.Type;
}
