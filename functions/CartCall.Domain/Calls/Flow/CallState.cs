using System.Collections.Immutable;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Calls.Flow;

/// <summary>Where a call is in its life.</summary>
public enum CallStage
{
    /// <summary>Waiting for its time (quiet hours, or a callback later).</summary>
    Scheduled,

    /// <summary>Checking the guards again before a scheduled call.</summary>
    Prechecking,

    /// <summary>The create-call request is on its way, or the shopper's phone is ringing.</summary>
    Dialing,

    /// <summary>The shopper is on; an agent is being reserved and invited.</summary>
    AddingAgent,

    /// <summary>Shopper and agent are talking.</summary>
    Talking,

    /// <summary>Nobody could take the call: playing the apology before hanging up.</summary>
    Apologizing,

    /// <summary>The app asked for the call to end and waits for it to.</summary>
    HangingUp,

    Ended,
}

/// <summary>The deadlines a waiting call sets; each has an outcome when it passes.</summary>
public enum CallDeadlineKind
{
    /// <summary>A scheduled call's time has come.</summary>
    StartTime,

    /// <summary>The shopper has not answered in time (or the answer was lost).</summary>
    Ringing,

    /// <summary>The invited agent has not joined in time (or the reply was lost).</summary>
    AgentInvitation,

    /// <summary>A talking call is checked against the service now and then: callbacks can be lost.</summary>
    Check,

    /// <summary>The longest a call may run.</summary>
    MaxLength,

    /// <summary>A prompt has not finished playing in time.</summary>
    Prompt,

    /// <summary>The call has not ended in time after the app hung up.</summary>
    HangUp,
}

public sealed record CallDeadline(CallDeadlineKind Kind, DateTimeOffset At);

/// <summary>How long each wait may last. Validated so a flow can never wait forever.</summary>
public sealed record CallTimings(
    TimeSpan Ringing,
    TimeSpan AgentInvitation,
    TimeSpan CheckInterval,
    TimeSpan MaxCallLength,
    TimeSpan Prompt,
    TimeSpan HangUp)
{
    public static CallTimings Default { get; } = new(
        Ringing: TimeSpan.FromSeconds(60),
        AgentInvitation: TimeSpan.FromSeconds(25),
        CheckInterval: TimeSpan.FromSeconds(30),
        MaxCallLength: TimeSpan.FromMinutes(60),
        Prompt: TimeSpan.FromSeconds(30),
        HangUp: TimeSpan.FromSeconds(15));

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { (nameof(Ringing), Ringing), (nameof(AgentInvitation), AgentInvitation), (nameof(CheckInterval), CheckInterval), (nameof(MaxCallLength), MaxCallLength), (nameof(Prompt), Prompt), (nameof(HangUp), HangUp) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(12))
            {
                problems.Add($"{name} must be more than zero and at most 12 hours.");
            }
        }

        return problems;
    }

    /// <summary>The latest a call can still be unfinished after it connected: the longest call, the hang-up, and one check.</summary>
    public TimeSpan LongestOpenAfterConnect => MaxCallLength + HangUp + HangUp + CheckInterval;
}

/// <summary>What the flow needs to know about a call when it starts.</summary>
public sealed record CallPlan(
    string CallId,
    CallMode Mode,
    string ShopperRawId,
    DateTimeOffset? NotBefore,
    bool IsCallback,
    bool CallbackWhenNoAgent,
    bool HasGreeting,
    bool HasApology);

/// <summary>The state of one call, as the flow keeps it. Immutable: each signal gives a new state.</summary>
public sealed record CallState
{
    public required string CallId { get; init; }

    public required CallMode Mode { get; init; }

    /// <summary>The shopper's identifier on the call (<c>4:+1…</c> for a phone, <c>8:acs:…</c> for a browser).</summary>
    public required string ShopperRawId { get; init; }

    public CallStage Stage { get; init; }

    public CallDeadline? Deadline { get; init; }

    public int DialAttempt { get; init; }

    /// <summary>When the current dial stops ringing unanswered.</summary>
    public DateTimeOffset? RingingUntil { get; init; }

    public string? CallConnectionId { get; init; }

    public DateTimeOffset? ConnectedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public int AgentAttempt { get; init; }

    /// <summary>The agent invited (reserved) for the current attempt.</summary>
    public string? InvitedAgentId { get; init; }

    public string? InvitedAgentRawId { get; init; }

    /// <summary>The service's id for the current attempt's invitation, so the flow can cancel it when it gives up on the agent.</summary>
    public string? InvitationId { get; init; }

    /// <summary>The agent who joined.</summary>
    public string? AgentId { get; init; }

    public ImmutableList<string> AgentsTried { get; init; } = [];

    /// <summary>
    /// Every invitation sent, with whom it went to: the current invitation's agent and raw id are forgotten when the
    /// flow moves on, but an agent it gave up on can still turn up on the call and must be recognised there.
    /// </summary>
    public ImmutableList<AgentInvitation> Invitations { get; init; } = [];

    /// <summary>Agents the flow gave up on who turned up on the call anyway and were taken off it (each once).</summary>
    public ImmutableList<string> AgentsRemoved { get; init; } = [];

    public long LastParticipantsSequence { get; init; } = -1;

    public bool ShopperPresent { get; init; }

    public bool AgentPresent { get; init; }

    /// <summary>A reconcile was asked for and its answer is awaited.</summary>
    public bool Reconciling { get; init; }

    /// <summary>The deadline that made the flow reconcile, set again if the service cannot be asked.</summary>
    public CallDeadlineKind? ReconcilingFor { get; init; }

    /// <summary>Reconciles in a row that could not reach the service.</summary>
    public int ReconcileFailures { get; init; }

    /// <summary>How many times the app asked for the call to end.</summary>
    public int HangUps { get; init; }

    public string? Outcome { get; init; }

    public bool Failed { get; init; }

    public string? Detail { get; init; }

    /// <summary>What the shopper is told about how the call ended, when the merchant said it (a hook's veto).</summary>
    public string? ShopperMessage { get; init; }

    public bool IsCallback { get; init; }

    public bool CallbackWhenNoAgent { get; init; }

    public bool HasGreeting { get; init; }

    public bool HasApology { get; init; }

    public bool IsOver => Stage == CallStage.Ended;

    /// <summary>The agent holding a reservation for this call, whether or not they joined.</summary>
    public string? ReservedAgentId => AgentId ?? InvitedAgentId;
}

/// <summary>An agent invited to the call for attempt <paramref name="Attempt"/>, and their identifier on it.</summary>
public sealed record AgentInvitation(int Attempt, string AgentId, string RawId);

/// <summary>The flow's answer to a signal: the new state and what to do.</summary>
public sealed record CallStep(CallState State, IReadOnlyList<CallCommand> Commands)
{
    public static CallStep Unchanged(CallState state) => new(state, []);
}
