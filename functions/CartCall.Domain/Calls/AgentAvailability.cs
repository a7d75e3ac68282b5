namespace CartCall.Domain.Calls;

/// <summary>What an agent is doing, as routing and the offer policy see it.</summary>
public enum AgentStatus
{
    Available,

    /// <summary>Held for one call while their phone or workspace rings.</summary>
    Reserved,

    /// <summary>On a call.</summary>
    Busy,

    /// <summary>Just off a call, writing it up; available again when the wrap-up time is over.</summary>
    WrapUp,

    Away,
}

/// <summary>
/// An agent's state and the rules that move it. Every change is a pure function of the current state, so the store
/// can apply it as one compare-and-swap: two calls can never hold the same agent, and every release names the call
/// it releases, so a late or repeated release cannot free an agent another call holds.
/// </summary>
public sealed record AgentAvailability(AgentStatus Status, string? CallId, DateTimeOffset Since, DateTimeOffset? WrapUpUntil = null, bool AwayAfterCall = false)
{
    public static AgentAvailability Initial(bool available, DateTimeOffset now) => new(available ? AgentStatus.Available : AgentStatus.Away, null, now);

    /// <summary>The status as of <paramref name="now"/>: a finished wrap-up is availability.</summary>
    public AgentStatus Effective(DateTimeOffset now) =>
        Status == AgentStatus.WrapUp && WrapUpUntil is { } until && now >= until ? AgentStatus.Available : Status;

    public bool IsAvailable(DateTimeOffset now) => Effective(now) == AgentStatus.Available;

    /// <summary>Holds the agent for <paramref name="callId"/>; null when they are not free. Repeating it for the same call is harmless.</summary>
    public AgentAvailability? Reserve(string callId, DateTimeOffset now)
    {
        if (CallId == callId && Status is AgentStatus.Reserved or AgentStatus.Busy)
        {
            return this;
        }

        return IsAvailable(now) ? new AgentAvailability(AgentStatus.Reserved, callId, now) : null;
    }

    /// <summary>The agent joined <paramref name="callId"/>.</summary>
    public AgentAvailability? Join(string callId, DateTimeOffset now) =>
        CallId == callId && Status is AgentStatus.Reserved or AgentStatus.Busy
            ? this with { Status = AgentStatus.Busy, Since = Status == AgentStatus.Busy ? Since : now }
            : null;

    /// <summary>
    /// Gives the agent back after <paramref name="callId"/>: to wrap-up after a conversation, straight back after a
    /// reservation that came to nothing, or away if they asked to be during the call. Releasing for another call, or
    /// again, changes nothing.
    /// </summary>
    public AgentAvailability Release(string callId, bool talked, DateTimeOffset now, TimeSpan wrapUp)
    {
        if (CallId != callId || Status is not (AgentStatus.Reserved or AgentStatus.Busy))
        {
            return this;
        }

        if (AwayAfterCall)
        {
            return new AgentAvailability(AgentStatus.Away, null, now);
        }

        return talked && wrapUp > TimeSpan.Zero
            ? new AgentAvailability(AgentStatus.WrapUp, null, now, now + wrapUp)
            : new AgentAvailability(AgentStatus.Available, null, now);
    }

    /// <summary>The agent (or their supervisor) sets them available or away; on a call, away takes effect when it ends.</summary>
    public AgentAvailability SetPresence(bool available, DateTimeOffset now) => Status switch
    {
        AgentStatus.Reserved or AgentStatus.Busy => this with { AwayAfterCall = !available },
        _ when available => Effective(now) == AgentStatus.Available && Status != AgentStatus.Away ? this : new AgentAvailability(AgentStatus.Available, null, now),
        _ => new AgentAvailability(AgentStatus.Away, null, now),
    };

    /// <summary>Ends a wrap-up early: the agent says they are ready.</summary>
    public AgentAvailability Ready(DateTimeOffset now) =>
        Status == AgentStatus.WrapUp ? new AgentAvailability(AgentStatus.Available, null, now) : this;
}
