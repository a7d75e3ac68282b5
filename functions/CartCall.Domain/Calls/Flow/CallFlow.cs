namespace CartCall.Domain.Calls.Flow;

/// <summary>
/// A call's life as a pure function: from the state and one signal (a callback, an activity's result, a deadline),
/// the next state and the commands to carry out. Nothing here waits, reads a clock or does I/O; the driver (the
/// call's Durable orchestration) passes the time in, performs the commands and feeds their results back.
/// Every waiting state has a deadline and every deadline an outcome: a lost callback is found out by asking the
/// service (<see cref="Reconcile"/>), never by waiting forever. Late, repeated and reordered signals change nothing.
/// </summary>
public static class CallFlow
{
    /// <summary>How a vetoed call's detail begins, before the hook's id.</summary>
    public const string VetoedPrefix = "stopped before dialling by hook ";

    public const string Greeting = "greeting";
    public const string Apology = "apology";

    public static CallStep Begin(CallPlan plan, DateTimeOffset now, CallTimings timings)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(timings);
        var state = new CallState
        {
            CallId = plan.CallId,
            Mode = plan.Mode,
            ShopperRawId = plan.ShopperRawId,
            IsCallback = plan.IsCallback,
            CallbackWhenNoAgent = plan.CallbackWhenNoAgent,
            HasGreeting = plan.HasGreeting,
            HasApology = plan.HasApology,
        };
        if (plan.NotBefore is { } at && at > now)
        {
            return new(state with { Stage = CallStage.Scheduled, Deadline = new(CallDeadlineKind.StartTime, at) }, [new RecordCall()]);
        }

        return DialNow(state, 1, now, timings, [new RecordCall()]);
    }

    public static CallStep Apply(CallState state, CallSignal signal, DateTimeOffset now, CallTimings timings)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(timings);
        if (state.IsOver)
        {
            return CallStep.Unchanged(state);
        }

        var s = state;
        var step = signal switch
        {
            DeadlinePassed d when s.Deadline?.Kind == d.Kind => OnDeadline(s, d.Kind, now, timings),
            Reconciled r when s.Reconciling => OnReconciled(s with { Reconciling = false, ReconcilingFor = null, ReconcileFailures = 0 }, r, now, timings),
            ReconcileFailed f when s.Reconciling => OnReconcileFailed(s, f, now, timings),
            PrecheckDone p when s.Stage == CallStage.Prechecking =>
                p.Proceed ? DialNow(s, 1, now, timings, [new RecordCall()]) : End(s, now, CallOutcomes.AgentUnavailable, false, p.Detail),
            Dialled d when s.Stage == CallStage.Dialing && s.CallConnectionId is null => new(s with { CallConnectionId = d.CallConnectionId }, [new RecordCall()]),
            DialRefused d when s.Stage == CallStage.Dialing => End(s, now, CallOutcomes.DialFailed, true, d.Detail),
            DialVetoed v when s.Stage == CallStage.Dialing =>
                End(s with { ShopperMessage = v.ShopperMessage }, now, CallOutcomes.Vetoed, false, $"{VetoedPrefix}{v.StoppedBy}: {v.ShopperMessage}"),
            ShopperConnected c when s.Stage == CallStage.Dialing => Connected(s with { CallConnectionId = s.CallConnectionId ?? c.CallConnectionId }, c.At, now, timings),
            ShopperNotReached n when s.Stage == CallStage.Dialing => NotReached(s, n.Code, n.Detail, now),
            AgentInvited a when s.Stage == CallStage.AddingAgent && a.Attempt == s.AgentAttempt && s.InvitedAgentId is null =>
                new(s with
                {
                    InvitedAgentId = a.AgentId,
                    InvitedAgentRawId = a.AgentRawId,
                    InvitationId = a.InvitationId,
                    AgentsTried = s.AgentsTried.Add(a.AgentId),
                    Invitations = s.Invitations.Add(new(a.Attempt, a.AgentId, a.AgentRawId)),
                }, [new RecordCall()]),
            NoAgentAvailable n when s.Stage == CallStage.AddingAgent && n.Attempt == s.AgentAttempt && s.InvitedAgentId is null => NobodyLeft(s, now, timings),
            // Ask the service before giving up on agents: ending as agent_unavailable would call back a shopper who hung up.
            // The agent counts as tried, so a call the service keeps refusing still runs out of agents.
            InviteFoundNoCall n when s.Stage == CallStage.AddingAgent && n.Attempt == s.AgentAttempt && s.InvitedAgentId is null && !s.Reconciling =>
                new(s with { AgentsTried = s.AgentsTried.Add(n.AgentId), Detail = n.Detail, Reconciling = true, ReconcilingFor = CallDeadlineKind.AgentInvitation, Deadline = null }, [new Reconcile()]),
            // Only the current attempt's agent joins as the call's agent: a join for an invitation the flow gave up on
            // (and cancelled) is an earlier attempt's, and changes nothing.
            AgentJoined j when s.Stage == CallStage.AddingAgent && j.Attempt == s.AgentAttempt && s.InvitedAgentId is not null => Talking(s, now, timings),
            // The service ended the invitation itself: nothing is left ringing to cancel.
            AgentDidNotJoin f when s.Stage == CallStage.AddingAgent && f.Attempt == s.AgentAttempt && s.InvitedAgentId is not null =>
                NextAgent(s with { Detail = $"agent {s.InvitedAgentId} did not join ({f.Detail})" }, now, timings, mayStillRing: false),
            ParticipantsChanged p => OnParticipants(s, p, now, timings),
            PlayFinished p when p.What == Apology && s.Stage == CallStage.Apologizing => HangUpNow(s, now, timings, null, null),
            Disconnected d => OnDisconnected(s, d, now),
            _ => CallStep.Unchanged(s),
        };
        return RemoveAgentsGivenUp(step, OnTheCall(state, signal));
    }

    /// <summary>Who the signal says is on the call now, by raw id or by the invitation they answered; null when it says nothing.</summary>
    private static (IReadOnlyList<string> RawIds, int? Attempt)? OnTheCall(CallState before, CallSignal signal) => signal switch
    {
        AgentJoined j => (j.AgentRawId is { } raw ? [raw] : [], j.Attempt),
        // An older picture is not who is on the call now (a repeat of the latest changes nothing either: removals are once).
        ParticipantsChanged p when p.Sequence is not { } sequence || sequence >= before.LastParticipantsSequence => (p.RawIds, null),
        Reconciled r when before.Reconciling => (r.RawIds, null),
        _ => null,
    };

    /// <summary>
    /// An agent the flow gave up on (their invitation's deadline passed, or they were overtaken by the next agent) who is
    /// on the call anyway, because they answered as the cancel was on its way, is taken off it: they would otherwise
    /// hear the shopper's conversation with the call's agent until the call ends. Once per agent, and never the current
    /// agent or the shopper, whoever the step made current. Given back once off the call (a release that the earlier
    /// give-up already did changes nothing).
    /// </summary>
    private static CallStep RemoveAgentsGivenUp(CallStep step, (IReadOnlyList<string> RawIds, int? Attempt)? onTheCall)
    {
        var s = step.State;
        if (onTheCall is not { } seen || s.Stage is not (CallStage.AddingAgent or CallStage.Talking or CallStage.Apologizing))
        {
            return step; // a call being hung up ends for everyone anyway
        }

        var strays = s.Invitations
            .Where(i => i.Attempt == seen.Attempt || seen.RawIds.Contains(i.RawId, StringComparer.OrdinalIgnoreCase))
            .Where(i => i.AgentId != s.InvitedAgentId && i.AgentId != s.AgentId && !s.AgentsRemoved.Contains(i.AgentId)
                && !SameParty(i.RawId, s.ShopperRawId) && !SameParty(i.RawId, s.InvitedAgentRawId))
            .DistinctBy(i => i.AgentId)
            .ToList();
        if (strays.Count == 0)
        {
            return step;
        }

        var commands = new List<CallCommand>(step.Commands);
        foreach (var stray in strays)
        {
            commands.Add(new RemoveParticipant(stray.AgentId, stray.RawId));
            commands.Add(new ReleaseAgent(stray.AgentId, Talked: false));
        }

        return new(s with { AgentsRemoved = s.AgentsRemoved.AddRange(strays.Select(i => i.AgentId)) }, commands);
    }

    private static bool SameParty(string rawId, string? other) => other is not null && string.Equals(rawId, other, StringComparison.OrdinalIgnoreCase);

    private static CallStep DialNow(CallState s, int attempt, DateTimeOffset now, CallTimings t, IReadOnlyList<CallCommand> before)
    {
        var ringing = s with { Stage = CallStage.Dialing, DialAttempt = attempt, CallConnectionId = null, RingingUntil = now + t.Ringing };
        return new(ringing with { Deadline = RingingDeadline(ringing, now, t) }, [.. before, new Dial(attempt)]);
    }

    /// <summary>
    /// While the shopper's phone rings the call is checked like a connected one: an answer whose callback was lost
    /// (the app was down) is found within a check, while the shopper still waits for an agent, not when the ringing ends.
    /// </summary>
    private static CallDeadline RingingDeadline(CallState s, DateTimeOffset now, CallTimings t)
    {
        var until = s.RingingUntil ?? now + t.Ringing;
        var check = now + t.CheckInterval;
        return check < until ? new(CallDeadlineKind.Check, check) : new(CallDeadlineKind.Ringing, until);
    }

    private static CallStep Connected(CallState s, DateTimeOffset at, DateTimeOffset now, CallTimings t)
    {
        var next = s with { ConnectedAt = at, ShopperPresent = true, Stage = CallStage.AddingAgent, AgentAttempt = 1 };
        var commands = new List<CallCommand> { new RecordCall() };
        if (s.HasGreeting)
        {
            // The greeting plays while the first agent's phone rings: the shopper hears why they wait.
            commands.Add(new PlayPrompt(Greeting));
        }

        commands.Add(new InviteAgent(1, []));
        return new(next with { Deadline = new(CallDeadlineKind.AgentInvitation, now + t.AgentInvitation) }, commands);
    }

    private static CallStep NotReached(CallState s, int? code, string detail, DateTimeOffset now)
    {
        var outcome = CallOutcomes.FromShopperLegCode(code);
        return End(s, now, outcome ?? CallOutcomes.Failed, outcome is null, detail);
    }

    private static CallStep Talking(CallState s, DateTimeOffset now, CallTimings t) =>
        new(s with { Stage = CallStage.Talking, AgentId = s.InvitedAgentId, AgentPresent = true, Deadline = TalkingDeadline(s, now, t) }, [new RecordCall()]);

    private static CallDeadline TalkingDeadline(CallState s, DateTimeOffset now, CallTimings t)
    {
        var check = now + t.CheckInterval;
        var longest = (s.ConnectedAt ?? now) + t.MaxCallLength;
        return check < longest ? new(CallDeadlineKind.Check, check) : new(CallDeadlineKind.MaxLength, longest);
    }

    /// <param name="mayStillRing">
    /// Whether the previous agent's invitation may still be ringing (the flow, not the service, gave up on it): then it is
    /// cancelled, before the agent is given back. Once per invitation: the invitation is forgotten here.
    /// </param>
    private static CallStep NextAgent(CallState s, DateTimeOffset now, CallTimings t, bool mayStillRing)
    {
        var commands = new List<CallCommand>();
        if (s.InvitedAgentId is { } previous)
        {
            if (mayStillRing && s.InvitationId is { } invitation)
            {
                commands.Add(new CancelInvitation(previous, s.AgentAttempt, invitation));
            }

            commands.Add(new ReleaseAgent(previous, Talked: false));
        }

        var attempt = s.AgentAttempt + 1;
        commands.Add(new InviteAgent(attempt, s.AgentsTried));
        return new(s with { AgentAttempt = attempt, InvitedAgentId = null, InvitedAgentRawId = null, InvitationId = null, AgentPresent = false, Deadline = new(CallDeadlineKind.AgentInvitation, now + t.AgentInvitation) }, commands);
    }

    private static CallStep NobodyLeft(CallState s, DateTimeOffset now, CallTimings t)
    {
        var next = s with { Outcome = CallOutcomes.AgentUnavailable };
        return s.HasApology
            ? new(next with { Stage = CallStage.Apologizing, Deadline = new(CallDeadlineKind.Prompt, now + t.Prompt) }, [new RecordCall(), new PlayPrompt(Apology)])
            : HangUpNow(next, now, t, null, null);
    }

    private static CallStep HangUpNow(CallState s, DateTimeOffset now, CallTimings t, string? outcome, string? detail) =>
        new(s with
        {
            Stage = CallStage.HangingUp,
            HangUps = s.HangUps + 1,
            Outcome = s.Outcome ?? outcome,
            Detail = detail ?? s.Detail,
            Deadline = new(CallDeadlineKind.HangUp, now + t.HangUp),
        }, [new HangUp(), new RecordCall()]);

    private static CallStep OnDeadline(CallState s, CallDeadlineKind kind, DateTimeOffset now, CallTimings t) => kind switch
    {
        CallDeadlineKind.StartTime => new(s with { Stage = CallStage.Prechecking, Deadline = null }, [new Precheck()]),
        CallDeadlineKind.MaxLength => HangUpNow(s, now, t, null, "the call reached its longest allowed length"),
        CallDeadlineKind.Prompt => HangUpNow(s, now, t, null, null),
        _ => new(s with { Reconciling = true, ReconcilingFor = kind, Deadline = null }, [new Reconcile()]),
    };

    /// <summary>Most checks in a row the service may fail before the call is given up as failed.</summary>
    public const int MaxReconcileFailures = 3;

    private static CallStep OnReconcileFailed(CallState s, ReconcileFailed f, DateTimeOffset now, CallTimings t)
    {
        var failures = s.ReconcileFailures + 1;
        var next = s with { Reconciling = false, ReconcileFailures = failures };
        if (failures >= MaxReconcileFailures)
        {
            // Nothing can be learnt or done through the service: end the record; the service ends its own call.
            return End(next, now, s.AgentId is not null ? CallOutcomes.Completed : CallOutcomes.Failed, s.AgentId is null, $"the telephony service could not be reached: {f.Detail}");
        }

        return new(next with { Deadline = new(s.ReconcilingFor ?? CallDeadlineKind.Check, now + t.CheckInterval), ReconcilingFor = null }, []);
    }

    private static CallStep OnReconciled(CallState s, Reconciled r, DateTimeOffset now, CallTimings t)
    {
        var shopper = r.RawIds.Contains(s.ShopperRawId, StringComparer.OrdinalIgnoreCase);
        var agent = s.InvitedAgentRawId is { } raw && r.RawIds.Contains(raw, StringComparer.OrdinalIgnoreCase);
        switch (s.Stage)
        {
            case CallStage.Dialing when !r.CallExists:
                // No record of the call: if it was never seen placed, place it once more; otherwise it rang out unseen.
                if (s.CallConnectionId is null && s.DialAttempt < 2)
                {
                    return DialNow(s with { Detail = "the service had no record of the call; dialled again" }, s.DialAttempt + 1, now, t, [new RecordCall()]);
                }

                return s.CallConnectionId is null
                    ? End(s, now, CallOutcomes.Failed, true, "the service had no record of the call after it was dialled again")
                    : End(s, now, CallOutcomes.ShopperNoAnswer, false, "the call ended before the shopper answered");
            case CallStage.Dialing when shopper:
                return Connected(s, now, now, t);
            case CallStage.Dialing when now < s.RingingUntil:
                return new(s with { Deadline = RingingDeadline(s, now, t) }, []);
            case CallStage.Dialing:
                return HangUpNow(s, now, t, CallOutcomes.ShopperNoAnswer, "the shopper did not answer in time");
            case CallStage.AddingAgent when !r.CallExists:
                return End(s, now, CallOutcomes.ShopperHungUp, false, "the call ended while an agent was being added");
            case CallStage.AddingAgent when !shopper:
                return HangUpNow(s, now, t, CallOutcomes.ShopperHungUp, "the shopper left while an agent was being added");
            case CallStage.AddingAgent when agent:
                return Talking(s with { ShopperPresent = true }, now, t);
            case CallStage.AddingAgent:
                return NextAgent(s with { Detail = s.InvitedAgentId is null ? s.Detail : $"agent {s.InvitedAgentId} did not join in time" }, now, t, mayStillRing: true);
            case CallStage.Talking when !r.CallExists:
                return End(s, now, CallOutcomes.Completed, false, "the call ended");
            case CallStage.Talking when !shopper || !agent:
                return HangUpNow(s with { ShopperPresent = shopper, AgentPresent = agent }, now, t, CallOutcomes.Completed, !shopper ? "the shopper left" : "the agent left");
            case CallStage.Talking:
                return new(s with { Deadline = TalkingDeadline(s, now, t) }, []);
            case CallStage.HangingUp when !r.CallExists:
                return End(s, now, s.AgentId is null ? CallOutcomes.ShopperHungUp : CallOutcomes.Completed, false, null);
            case CallStage.HangingUp when s.HangUps < 2:
                return HangUpNow(s, now, t, null, null);
            case CallStage.HangingUp:
                return End(s, now, s.AgentId is null ? CallOutcomes.ShopperHungUp : CallOutcomes.Completed, false, "the call did not end after two hang-ups");
            default:
                return CallStep.Unchanged(s);
        }
    }

    private static CallStep OnParticipants(CallState s, ParticipantsChanged p, DateTimeOffset now, CallTimings t)
    {
        var sequence = p.Sequence ?? s.LastParticipantsSequence + 1;
        if (sequence <= s.LastParticipantsSequence)
        {
            return CallStep.Unchanged(s); // an older picture, overtaken by a newer one
        }

        var shopper = p.RawIds.Contains(s.ShopperRawId, StringComparer.OrdinalIgnoreCase);
        var agent = s.InvitedAgentRawId is { } raw && p.RawIds.Contains(raw, StringComparer.OrdinalIgnoreCase);
        var next = s with { LastParticipantsSequence = sequence };
        return s.Stage switch
        {
            CallStage.Talking when !shopper || !agent =>
                HangUpNow(next with { ShopperPresent = shopper, AgentPresent = agent }, now, t, CallOutcomes.Completed, !shopper ? "the shopper left" : "the agent left"),
            CallStage.AddingAgent when s.ConnectedAt is not null && !shopper =>
                HangUpNow(next with { ShopperPresent = false }, now, t, CallOutcomes.ShopperHungUp, "the shopper left while an agent was being added"),
            // The picture overtook the invitation's reply: the agent is there.
            CallStage.AddingAgent when agent => Talking(next, now, t),
            _ => new(next with { ShopperPresent = shopper, AgentPresent = agent }, []),
        };
    }

    private static CallStep OnDisconnected(CallState s, Disconnected d, DateTimeOffset now)
    {
        if (s.Stage is CallStage.Scheduled or CallStage.Prechecking)
        {
            return CallStep.Unchanged(s);
        }

        if (s.ConnectedAt is null && s.Outcome is null)
        {
            return NotReached(s, d.Code, d.Detail, now);
        }

        var outcome = s.AgentId is not null ? CallOutcomes.Completed : CallOutcomes.ShopperHungUp;
        return End(s, now, outcome, false, null);
    }

    private static CallStep End(CallState s, DateTimeOffset now, string outcome, bool failed, string? detail)
    {
        var final = s with
        {
            Stage = CallStage.Ended,
            Outcome = s.Outcome ?? outcome,
            Failed = failed && s.Outcome is null,
            Detail = detail ?? s.Detail,
            EndedAt = now,
            Deadline = null,
            Reconciling = false,
            ShopperPresent = false,
            AgentPresent = false,
        };
        var commands = new List<CallCommand> { new RecordCall(), new PublishEnded() };
        if (s.ReservedAgentId is { } agent)
        {
            commands.Add(new ReleaseAgent(agent, Talked: s.AgentId is not null));
        }

        if (final.Outcome == CallOutcomes.AgentUnavailable && s.CallbackWhenNoAgent && !s.IsCallback)
        {
            commands.Add(new ScheduleCallback());
        }

        return new(final, commands);
    }
}
