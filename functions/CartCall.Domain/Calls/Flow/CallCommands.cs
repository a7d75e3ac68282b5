namespace CartCall.Domain.Calls.Flow;

/// <summary>What the driver of the flow must do next; each is an effect, performed outside the flow.</summary>
public abstract record CallCommand;

/// <summary>Store the call's new state and tell the shopper's widget and the agents.</summary>
public sealed record RecordCall : CallCommand;

/// <summary>Place the call. <paramref name="Attempt"/> is part of the request's repeatability id: a repeat of the same attempt never dials twice.</summary>
public sealed record Dial(int Attempt) : CallCommand;

/// <summary>Check the guards again before a scheduled call is dialled.</summary>
public sealed record Precheck : CallCommand;

/// <summary>Reserve the next available agent not yet tried and invite them into the call.</summary>
public sealed record InviteAgent(int Attempt, IReadOnlyList<string> AlreadyTried) : CallCommand;

/// <summary>
/// Stop an agent's invitation that may still be ringing: the flow gave up on them (the invitation's deadline passed
/// without them) and moves on, so their phone must not ring on, nor they join, while the next agent takes the call.
/// A service that answers that the invitation is already over has done what was asked.
/// </summary>
public sealed record CancelInvitation(string AgentId, int Attempt, string InvitationId) : CallCommand;

/// <summary>
/// Take an agent the flow gave up on off the call: they answered as their invitation was being cancelled (or their join
/// overtook the flow's move to the next agent), so their leg is up beside the shopper and the call's real agent.
/// Once per agent; never the call's current agent or the shopper. A service that answers that they are already gone
/// has done what was asked.
/// </summary>
public sealed record RemoveParticipant(string AgentId, string RawId) : CallCommand;

/// <summary>Give an agent back: a reservation that came to nothing, or a finished call (then wrap-up).</summary>
public sealed record ReleaseAgent(string AgentId, bool Talked) : CallCommand;

public sealed record PlayPrompt(string What) : CallCommand;

/// <summary>End the call for everyone still on it.</summary>
public sealed record HangUp : CallCommand;

/// <summary>Ask the telephony service what the call's real state is.</summary>
public sealed record Reconcile : CallCommand;

/// <summary>Announce that the call ended (CartCall.CallEnded).</summary>
public sealed record PublishEnded : CallCommand;

/// <summary>Phone (or ring in the browser) the shopper back later: nobody could take the call.</summary>
public sealed record ScheduleCallback : CallCommand;
