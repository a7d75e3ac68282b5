using System.Text.Json.Serialization;

namespace CartCall.Domain.Calls.Flow;

/// <summary>
/// Something that happened to a call: a callback from the telephony service, an activity's result, or a deadline.
/// Signals travel as JSON (activity results, external events), so each names its kind.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "signal")]
[JsonDerivedType(typeof(Dialled), "dialled")]
[JsonDerivedType(typeof(DialRefused), "dial_refused")]
[JsonDerivedType(typeof(DialVetoed), "dial_vetoed")]
[JsonDerivedType(typeof(ShopperConnected), "shopper_connected")]
[JsonDerivedType(typeof(ShopperNotReached), "shopper_not_reached")]
[JsonDerivedType(typeof(AgentInvited), "agent_invited")]
[JsonDerivedType(typeof(NoAgentAvailable), "no_agent_available")]
[JsonDerivedType(typeof(InviteFoundNoCall), "invite_found_no_call")]
[JsonDerivedType(typeof(AgentJoined), "agent_joined")]
[JsonDerivedType(typeof(AgentDidNotJoin), "agent_did_not_join")]
[JsonDerivedType(typeof(ParticipantsChanged), "participants_changed")]
[JsonDerivedType(typeof(PlayFinished), "play_finished")]
[JsonDerivedType(typeof(Disconnected), "disconnected")]
[JsonDerivedType(typeof(HungUp), "hung_up")]
[JsonDerivedType(typeof(DeadlinePassed), "deadline_passed")]
[JsonDerivedType(typeof(Reconciled), "reconciled")]
[JsonDerivedType(typeof(PrecheckDone), "precheck_done")]
[JsonDerivedType(typeof(ReconcileFailed), "reconcile_failed")]
public abstract record CallSignal;

/// <summary>The telephony service accepted the create-call request: the shopper's leg is ringing.</summary>
public sealed record Dialled(string CallConnectionId) : CallSignal;

/// <summary>The create-call request was refused for good (not a transient failure, which is retried before this).</summary>
public sealed record DialRefused(string Detail) : CallSignal;

/// <summary>
/// The merchant's hooks stopped the call before it was dialled (a veto, or a fail-closed hook without an answer):
/// <paramref name="ShopperMessage"/> is the polite sentence the shopper is shown instead of an error.
/// </summary>
public sealed record DialVetoed(string StoppedBy, string ShopperMessage) : CallSignal;

/// <summary>The shopper answered: the call is connected.</summary>
public sealed record ShopperConnected(DateTimeOffset At, string? CallConnectionId) : CallSignal;

/// <summary>The shopper's leg was not answered (busy, no answer, declined) or could not be set up.</summary>
public sealed record ShopperNotReached(int? Code, string Detail) : CallSignal;

/// <summary>An agent was reserved and invited for attempt <paramref name="Attempt"/>.</summary>
/// <param name="InvitationId">The telephony service's id for the invitation, to cancel it by; null when it gave none.</param>
public sealed record AgentInvited(int Attempt, string AgentId, string AgentRawId, string? InvitationId = null) : CallSignal;

/// <summary>No agent was left to invite.</summary>
public sealed record NoAgentAvailable(int Attempt) : CallSignal;

/// <summary>
/// The service refused to add agent <paramref name="AgentId"/> because the call is not (or no longer) established: the
/// shopper most likely hung up and its callback is still on the way. Not the agent's refusal.
/// </summary>
public sealed record InviteFoundNoCall(int Attempt, string AgentId, string Detail) : CallSignal;

/// <summary>The agent invited for attempt <paramref name="Attempt"/> joined the call.</summary>
/// <param name="AgentRawId">Who joined, as the service names them; null when it did not say.</param>
public sealed record AgentJoined(int Attempt, string? AgentRawId = null) : CallSignal;

public sealed record AgentDidNotJoin(int Attempt, string Detail) : CallSignal;

/// <summary>Who is on the call now, by raw identifier. Older pictures (by sequence number) are ignored.</summary>
public sealed record ParticipantsChanged(long? Sequence, IReadOnlyList<string> RawIds) : CallSignal;

public sealed record PlayFinished(string What) : CallSignal;

/// <summary>The call ended for the app's leg (everyone hung up, or the service ended it).</summary>
public sealed record Disconnected(int? Code, string Detail) : CallSignal;

/// <summary>The app's hang-up request went through.</summary>
public sealed record HungUp : CallSignal;

/// <summary>The deadline the state set has passed without the signal it waited for.</summary>
public sealed record DeadlinePassed(CallDeadlineKind Kind) : CallSignal;

/// <summary>
/// The call's real state, read from the telephony service when a deadline passed: whether it knows the call at all,
/// and who is on it.
/// </summary>
public sealed record Reconciled(bool CallExists, IReadOnlyList<string> RawIds) : CallSignal;

/// <summary>The telephony service could not be asked (it is down, or refused); the flow asks again later.</summary>
public sealed record ReconcileFailed(string Detail) : CallSignal;

/// <summary>What the checks before a scheduled call found (quiet hours over, an agent free).</summary>
public sealed record PrecheckDone(bool Proceed, string? Detail) : CallSignal;
