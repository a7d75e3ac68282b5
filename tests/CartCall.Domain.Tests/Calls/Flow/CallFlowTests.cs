using CartCall.Domain.Calls;
using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Tests.Calls.Flow;

public sealed class CallFlowTests
{
    private const string Shopper = "4:+14255550123";
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 10, 0, 0, TimeSpan.Zero);
    private static readonly CallTimings Timings = CallTimings.Default;

    private sealed class Driver
    {
        public Driver(CallPlan plan) => Apply(CallFlow.Begin(plan, Now, Timings));

        public DateTimeOffset Now { get; set; } = T0;

        public CallState State { get; private set; } = default!;

        public List<CallCommand> Commands { get; } = [];

        public List<CallCommand> Last { get; private set; } = [];

        public Driver Send(CallSignal signal, TimeSpan? after = null)
        {
            Now += after ?? TimeSpan.FromSeconds(1);
            Apply(CallFlow.Apply(State, signal, Now, Timings));
            return this;
        }

        /// <summary>Lets the current deadline pass.</summary>
        public Driver Expire()
        {
            var deadline = State.Deadline ?? throw new InvalidOperationException("no deadline set in " + State.Stage);
            Now = deadline.At;
            Apply(CallFlow.Apply(State, new DeadlinePassed(deadline.Kind), Now, Timings));
            return this;
        }

        private void Apply(CallStep step)
        {
            State = step.State;
            Last = [.. step.Commands];
            Commands.AddRange(step.Commands);
        }
    }

    private static CallPlan Plan(CallMode mode = CallMode.Phone, DateTimeOffset? notBefore = null, bool apology = true, bool callback = true) =>
        new("ca_1", mode, Shopper, notBefore, IsCallback: false, CallbackWhenNoAgent: callback, HasGreeting: false, HasApology: apology);

    private static Driver Talking()
    {
        var d = new Driver(Plan());
        d.Send(new Dialled("conn-1")).Send(new ShopperConnected(T0, "conn-1")).Send(new AgentInvited(1, "alice", "4:+1999")).Send(new AgentJoined(1));
        Assert.Equal(CallStage.Talking, d.State.Stage);
        return d;
    }

    [Fact]
    public void HappyPath_DialsOnce_InvitesAnAgent_TalksAndEndsCompleted_ReleasingTheAgentAfterTalking()
    {
        var d = new Driver(Plan());
        Assert.Equal([new RecordCall(), new Dial(1)], d.Last);

        d.Send(new Dialled("conn-1")).Send(new ShopperConnected(T0.AddSeconds(3), "conn-1"));
        Assert.Contains(new InviteAgent(1, []), d.Last);
        d.Send(new AgentInvited(1, "alice", "4:+1999")).Send(new AgentJoined(1)).Send(new Disconnected(null, "everyone left"), TimeSpan.FromMinutes(4));

        Assert.Equal(CallStage.Ended, d.State.Stage);
        Assert.Equal(CallOutcomes.Completed, d.State.Outcome);
        Assert.Equal("alice", d.State.AgentId);
        Assert.Single(d.Commands.OfType<Dial>());
        Assert.Contains(new ReleaseAgent("alice", Talked: true), d.Last);
        Assert.Contains(new PublishEnded(), d.Last);
        Assert.Null(d.State.Deadline);
    }

    [Theory]
    [InlineData(486, CallOutcomes.ShopperBusy)]
    [InlineData(480, CallOutcomes.ShopperNoAnswer)]
    [InlineData(603, CallOutcomes.ShopperDeclined)]
    [InlineData(500, CallOutcomes.Failed)]
    public void ShopperNotReached_EndsWithAnOutcome_AndReservesNobody(int code, string outcome)
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperNotReached(code, "leg failed"));

        Assert.Equal(outcome, d.State.Outcome);
        Assert.Equal(code == 500, d.State.Failed);
        Assert.Empty(d.Commands.OfType<InviteAgent>());
        Assert.Empty(d.Commands.OfType<ReleaseAgent>());
    }

    [Fact]
    public void AHookThatStopsTheDial_EndsTheCallVetoed_InTheMerchantsWordsForTheShopper_WithNoCallback()
    {
        var d = new Driver(Plan()).Send(new DialVetoed("compliance", "You asked us not to call you, so we won't."));

        Assert.Equal(CallStage.Ended, d.State.Stage);
        Assert.Equal(CallOutcomes.Vetoed, d.State.Outcome);
        Assert.False(d.State.Failed);
        Assert.Equal("You asked us not to call you, so we won't.", d.State.ShopperMessage);
        Assert.StartsWith(CallFlow.VetoedPrefix + "compliance", d.State.Detail, StringComparison.Ordinal);
        Assert.Single(d.Commands.OfType<PublishEnded>());
        Assert.Empty(d.Commands.OfType<InviteAgent>());
        Assert.Empty(d.Commands.OfType<ScheduleCallback>());
        // A late veto (the call already rang) changes nothing.
        var talking = Talking().Send(new DialVetoed("late", "no"));
        Assert.Equal(CallStage.Talking, talking.State.Stage);
        Assert.Null(talking.State.ShopperMessage);
    }

    [Fact]
    public void AgentWhoDoesNotJoin_IsReleased_AndTheNextIsInvited_NotRetriedAgain()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new AgentInvited(1, "alice", "4:+1001"));

        d.Send(new AgentDidNotJoin(1, "no answer"));

        Assert.Contains(new ReleaseAgent("alice", Talked: false), d.Last);
        var invite = Assert.Single(d.Last.OfType<InviteAgent>());
        Assert.Equal(2, invite.Attempt);
        Assert.Equal(["alice"], invite.AlreadyTried);
    }

    [Fact]
    public void StaleReplies_FromAnEarlierAttempt_ChangeNothing()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new AgentInvited(1, "alice", "4:+1001"))
            .Send(new AgentDidNotJoin(1, "timeout")).Send(new AgentInvited(2, "bob", "4:+1002"));
        var before = d.State;

        // (A late join of alice's is not stale news: she is on the call, and is taken off it; see the removal tests below.)
        d.Send(new AgentDidNotJoin(1, "late")).Send(new ShopperConnected(T0, "c"));

        Assert.Equal(before with { }, d.State);
        Assert.Empty(d.Last);
    }

    [Fact]
    public void NobodyLeft_PlaysTheApology_HangsUp_EndsAgentUnavailable_AndSchedulesOneCallback()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new NoAgentAvailable(1));
        Assert.Contains(new PlayPrompt(CallFlow.Apology), d.Last);

        d.Send(new PlayFinished(CallFlow.Apology));
        Assert.Contains(new HangUp(), d.Last);
        d.Send(new HungUp()).Send(new Disconnected(null, "hung up"));

        Assert.Equal(CallOutcomes.AgentUnavailable, d.State.Outcome);
        Assert.Single(d.Commands.OfType<ScheduleCallback>());
    }

    [Fact]
    public void AnInviteThatFindsNoCall_IsChecked_AndAHungUpShopperIsNotCalledBack()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new InviteFoundNoCall(1, "alice", "not established"));
        Assert.Contains(new Reconcile(), d.Last);
        Assert.True(d.State.Reconciling);

        d.Send(new Reconciled(CallExists: false, []));

        Assert.Equal(CallStage.Ended, d.State.Stage);
        Assert.Equal(CallOutcomes.ShopperHungUp, d.State.Outcome);
        Assert.Empty(d.Commands.OfType<ScheduleCallback>());
        Assert.Empty(d.Commands.OfType<PlayPrompt>());
    }

    [Fact]
    public void AnInviteThatFindsNoCall_WhileTheShopperIsStillThere_TriesTheNextAgent_NotTheSameOne()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new InviteFoundNoCall(1, "alice", "not established"))
            .Send(new Reconciled(CallExists: true, [Shopper]));

        var invite = Assert.Single(d.Last.OfType<InviteAgent>());
        Assert.Equal(2, invite.Attempt);
        Assert.Contains("alice", invite.AlreadyTried);
    }

    [Fact]
    public void ACallback_ThatFindsNobodyEither_DoesNotScheduleAnother()
    {
        var d = new Driver(Plan() with { IsCallback = true }).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new NoAgentAvailable(1))
            .Expire().Send(new Disconnected(null, "hung up"));

        Assert.Equal(CallOutcomes.AgentUnavailable, d.State.Outcome);
        Assert.Empty(d.Commands.OfType<ScheduleCallback>());
    }

    [Fact]
    public void QuietHours_WaitForTheStartTime_ThenCheckAgain_ThenDial()
    {
        var d = new Driver(Plan(notBefore: T0.AddHours(8)));
        Assert.Equal(CallStage.Scheduled, d.State.Stage);
        Assert.Equal(new CallDeadline(CallDeadlineKind.StartTime, T0.AddHours(8)), d.State.Deadline);
        Assert.Empty(d.Commands.OfType<Dial>());

        d.Expire();
        Assert.Equal([new Precheck()], d.Last);
        d.Send(new PrecheckDone(true, null));

        Assert.Equal(CallStage.Dialing, d.State.Stage);
        Assert.Single(d.Commands.OfType<Dial>());
    }

    [Fact]
    public void LostAnswer_TheShopperIsOn_ButNoCallbackCame_ReconcileAddsAnAgent()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Expire();
        Assert.Equal([new Reconcile()], d.Last);

        d.Send(new Reconciled(true, [Shopper]));

        Assert.Equal(CallStage.AddingAgent, d.State.Stage);
        Assert.Contains(new InviteAgent(1, []), d.Last);
    }

    [Fact]
    public void StillRinging_AtACheck_KeepsWaiting_UntilTheRingingTimeEnds_ThenItIsNoAnswer()
    {
        var d = new Driver(Plan()).Send(new Dialled("c"));
        // The first wait is a check, sooner than the end of the ringing: a lost answer is found while the shopper waits.
        Assert.Equal(CallDeadlineKind.Check, d.State.Deadline!.Kind);
        Assert.True(d.State.Deadline.At < d.State.RingingUntil);

        d.Expire().Send(new Reconciled(true, []));

        Assert.Equal(CallStage.Dialing, d.State.Stage);
        Assert.Empty(d.Last);
        Assert.Equal(d.State.RingingUntil, d.State.Deadline!.At);
        Assert.Equal(CallDeadlineKind.Ringing, d.State.Deadline.Kind);

        d.Expire().Send(new Reconciled(true, []));

        Assert.Equal(CallStage.HangingUp, d.State.Stage);
        Assert.Equal(CallOutcomes.ShopperNoAnswer, d.State.Outcome);
    }

    [Fact]
    public void NeverPlaced_TheServiceKnowsNoSuchCall_IsDialledOnceMore_AndOnlyOnce()
    {
        var d = new Driver(Plan()).Expire().Send(new Reconciled(false, []));
        Assert.Equal(new Dial(2), d.Last.OfType<Dial>().Single());

        d.Expire().Send(new Reconciled(false, []));

        Assert.Equal(CallStage.Ended, d.State.Stage);
        Assert.Equal(2, d.Commands.OfType<Dial>().Count());
        Assert.True(d.State.Failed);
    }

    [Fact]
    public void ShopperHungUpWhileTheAppWasDown_APeriodicCheckFindsOut_AndHangsUpTheAgentsLeg()
    {
        var d = Talking().Expire();
        Assert.Equal([new Reconcile()], d.Last);

        d.Send(new Reconciled(true, ["4:+1999"]));

        Assert.Equal(CallStage.HangingUp, d.State.Stage);
        Assert.Contains(new HangUp(), d.Last);
        d.Send(new Disconnected(null, "agent left too"));
        Assert.Equal(CallOutcomes.Completed, d.State.Outcome);
        Assert.Contains(new ReleaseAgent("alice", true), d.Last);
    }

    [Fact]
    public void EvenIfNothingEverAnswersAgain_TheCallEnds_WithinTheLongestCallPlusAMargin()
    {
        var d = Talking();
        var connected = d.State.ConnectedAt!.Value;
        for (var i = 0; i < 1000 && !d.State.IsOver; i++)
        {
            if (d.State.Reconciling)
            {
                d.Send(new Reconciled(true, [Shopper, "4:+1999"]), TimeSpan.Zero);
            }
            else
            {
                d.Expire();
            }
        }

        Assert.True(d.State.IsOver);
        Assert.True(d.State.EndedAt <= connected + Timings.LongestOpenAfterConnect, $"ended at {d.State.EndedAt}");
    }

    [Fact]
    public void ParticipantsThatOvertakeTheInvitationsReply_StillMakeTheCallTalking()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new AgentInvited(1, "alice", "4:+1999"));

        d.Send(new ParticipantsChanged(3, [Shopper, "4:+1999"])).Send(new AgentJoined(1)).Send(new ParticipantsChanged(2, [Shopper]));

        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Equal("alice", d.State.AgentId);
    }

    [Fact]
    public void BrowserCalls_WhenNobodyIsFree_AreCalledBackToo()
    {
        var d = new Driver(Plan(CallMode.Browser)).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new NoAgentAvailable(1))
            .Send(new PlayFinished(CallFlow.Apology)).Send(new Disconnected(null, "x"));

        Assert.Single(d.Commands.OfType<ScheduleCallback>());
    }

    [Fact]
    public void AfterTheEnd_NothingChangesTheCall()
    {
        var d = Talking().Send(new Disconnected(null, "bye"));
        var ended = d.State;

        d.Send(new ShopperConnected(T0, "c")).Send(new AgentJoined(1)).Send(new Disconnected(null, "again")).Send(new DeadlinePassed(CallDeadlineKind.Check));

        Assert.Equal(ended, d.State);
        Assert.Empty(d.Last);
    }

    [Fact]
    public void WithAGreeting_ItPlaysWhileTheFirstAgentIsInvited()
    {
        var d = new Driver(Plan() with { HasGreeting = true }).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c"));

        Assert.Equal([new RecordCall(), new PlayPrompt(CallFlow.Greeting), new InviteAgent(1, [])], d.Last);
    }

    [Fact]
    public void ADisconnectThatOvertakesCreateCallFailed_StillSaysTheShopperWasBusy_AndTheLateFailureChangesNothing()
    {
        var d = new Driver(Plan()).Send(new Dialled("c")).Send(new Disconnected(486, "busy"));
        var ended = d.State;

        d.Send(new ShopperNotReached(486, "busy, late"));

        Assert.Equal(CallOutcomes.ShopperBusy, ended.Outcome);
        Assert.Equal(ended, d.State);
    }

    [Fact]
    public void ShopperLeavingAfterTheAgentJoined_HangsUpForEveryone()
    {
        var d = Talking().Send(new ParticipantsChanged(5, ["4:+1999"]));

        Assert.Equal(CallStage.HangingUp, d.State.Stage);
        Assert.Contains(new HangUp(), d.Last);
        Assert.Equal("the shopper left", d.State.Detail);
    }

    [Fact]
    public void WhenTheServiceCannotBeAskedThreeTimesInARow_TheCallIsGivenUp_AndItsAgentReleased()
    {
        var d = Talking();
        for (var i = 0; i < CallFlow.MaxReconcileFailures; i++)
        {
            d.Expire();
            Assert.Equal([new Reconcile()], d.Last);
            d.Send(new ReconcileFailed("503"), TimeSpan.Zero);
        }

        Assert.Equal(CallStage.Ended, d.State.Stage);
        Assert.Contains(new ReleaseAgent("alice", Talked: true), d.Last);
    }

    [Fact]
    public void OneFailedCheck_IsAskedAgainLater_WithoutChangingTheCall()
    {
        var d = Talking().Expire().Send(new ReconcileFailed("timeout"), TimeSpan.Zero);

        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Equal(CallDeadlineKind.Check, d.State.Deadline!.Kind);
        Assert.Empty(d.Last);
    }

    /// <summary>A call whose first agent, alice, was invited (invitation inv-1) and is still ringing.</summary>
    private static Driver RingingAlice(string? invitation = "inv-1") =>
        new Driver(Plan()).Send(new Dialled("c")).Send(new ShopperConnected(T0, "c")).Send(new AgentInvited(1, "alice", "4:+1001", invitation));

    [Fact]
    public void AnInvitationWhoseDeadlinePasses_WithoutTheAgent_IsCancelled_BeforeTheAgentIsGivenBack_AndTheNextIsInvited()
    {
        var d = RingingAlice().Expire();
        Assert.Equal([new Reconcile()], d.Last);

        d.Send(new Reconciled(true, [Shopper]));

        var cancel = Assert.Single(d.Last.OfType<CancelInvitation>());
        Assert.Equal(new CancelInvitation("alice", 1, "inv-1"), cancel);
        // Cancelled before alice is free for another call: her phone must stop ringing for this one first.
        Assert.True(d.Last.IndexOf(cancel) < d.Last.IndexOf(new ReleaseAgent("alice", Talked: false)), string.Join(", ", d.Last));
        var invite = Assert.Single(d.Last.OfType<InviteAgent>());
        Assert.Equal(2, invite.Attempt);
        Assert.Equal(["alice"], invite.AlreadyTried);
        Assert.Null(d.State.InvitationId);
    }

    [Fact]
    public void AnInvitationTheServiceEnded_IsNotCancelled()
    {
        var d = RingingAlice();

        d.Send(new AgentDidNotJoin(1, "408/0 Call was not answered."));

        Assert.Empty(d.Commands.OfType<CancelInvitation>());
        Assert.Contains(new ReleaseAgent("alice", Talked: false), d.Last);
        Assert.Contains(d.Last, c => c is InviteAgent { Attempt: 2 });
    }

    [Fact]
    public void EachInvitation_IsCancelledOnce_HoweverOftenTheFlowHearsAboutIt()
    {
        var d = RingingAlice().Expire().Send(new Reconciled(true, [Shopper]));

        // A repeated check answer, alice's late failure and her next deadline change nothing for her invitation.
        d.Send(new Reconciled(true, [Shopper])).Send(new AgentDidNotJoin(1, "late")).Send(new AgentInvited(2, "bob", "4:+1002", "inv-2")).Expire().Send(new Reconciled(true, [Shopper]));

        Assert.Equal(
            [new CancelInvitation("alice", 1, "inv-1"), new CancelInvitation("bob", 2, "inv-2")],
            d.Commands.OfType<CancelInvitation>());
    }

    [Fact]
    public void ALateJoin_ForACancelledInvitation_DoesNotMakeThatAgentTheCallsAgent_TheNextAgentTakesTheCall()
    {
        var d = RingingAlice().Expire().Send(new Reconciled(true, [Shopper])).Send(new AgentInvited(2, "bob", "4:+1002", "inv-2"));
        var before = d.State;

        // Alice answered as the cancel was on its way: her join, and a picture with her on the call, are not bob's.
        d.Send(new AgentJoined(1)).Send(new ParticipantsChanged(5, [Shopper, "4:+1001"]));

        Assert.Equal(CallStage.AddingAgent, d.State.Stage);
        Assert.Null(d.State.AgentId);
        Assert.Equal(before.InvitedAgentId, d.State.InvitedAgentId);
        Assert.DoesNotContain(d.Commands, c => c is ReleaseAgent { AgentId: "bob" });

        d.Send(new AgentJoined(2));

        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Equal("bob", d.State.AgentId);
    }

    [Fact]
    public void AnInvitationWithoutAnId_CannotBeCancelled_ButTheFlowStillMovesOn()
    {
        var d = RingingAlice(invitation: null).Expire().Send(new Reconciled(true, [Shopper]));

        Assert.Empty(d.Commands.OfType<CancelInvitation>());
        Assert.Contains(new ReleaseAgent("alice", Talked: false), d.Last);
        Assert.Contains(d.Last, c => c is InviteAgent { Attempt: 2 });
    }

    [Fact]
    public void AnAgentFoundOnTheCall_AtTheInvitationsDeadline_IsNotCancelled_ButTalks()
    {
        var d = RingingAlice().Expire().Send(new Reconciled(true, [Shopper, "4:+1001"]));

        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Empty(d.Commands.OfType<CancelInvitation>());
    }

    /// <summary>Alice's invitation was given up on (and cancelled) and bob invited; alice answered as the cancel was on its way.</summary>
    private static Driver BobInvitedAfterAlice() =>
        RingingAlice().Expire().Send(new Reconciled(true, [Shopper])).Send(new AgentInvited(2, "bob", "4:+1002", "inv-2"));

    [Fact]
    public void ALateJoin_ForAnInvitationTheFlowGaveUpOn_TakesThatAgentOffTheCallOnce_ThenGivesThemBack()
    {
        var d = BobInvitedAfterAlice();

        d.Send(new AgentJoined(1, "4:+1001"));

        var remove = Assert.Single(d.Last.OfType<RemoveParticipant>());
        Assert.Equal(new RemoveParticipant("alice", "4:+1001"), remove);
        // Given back only once she is off this call: free while still on it, she could be offered another.
        Assert.True(d.Last.IndexOf(remove) < d.Last.IndexOf(new ReleaseAgent("alice", Talked: false)), string.Join(", ", d.Last));
        Assert.Equal(["alice"], d.State.AgentsRemoved);
        Assert.Equal(("bob", CallStage.AddingAgent), (d.State.InvitedAgentId, d.State.Stage));

        // The pictures that show her on the call, a repeated join and bob's join remove nobody else, nor her again.
        d.Send(new ParticipantsChanged(5, [Shopper, "4:+1001"])).Send(new AgentJoined(1, "4:+1001")).Send(new AgentJoined(2, "4:+1002"))
            .Send(new ParticipantsChanged(6, [Shopper, "4:+1002", "4:+1001"]));

        Assert.Single(d.Commands.OfType<RemoveParticipant>());
        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Equal("bob", d.State.AgentId);
    }

    [Fact]
    public void ALateJoinWithoutTheAgentsId_IsKnownByItsAttempt()
    {
        var d = BobInvitedAfterAlice();

        d.Send(new AgentJoined(1));

        Assert.Equal([new RemoveParticipant("alice", "4:+1001")], d.Last.OfType<RemoveParticipant>());
    }

    [Fact]
    public void AGivenUpAgent_SeenOnTheCallOnlyInAPicture_IsTakenOffIt_EvenAfterTheNextAgentJoined()
    {
        var d = BobInvitedAfterAlice().Send(new AgentJoined(2, "4:+1002"));
        Assert.Equal(CallStage.Talking, d.State.Stage);

        // Her join's callback was lost; the participants update says she is there beside bob.
        d.Send(new ParticipantsChanged(3, [Shopper, "4:+1002", "4:+1001"]));

        Assert.Equal([new RemoveParticipant("alice", "4:+1001")], d.Last.OfType<RemoveParticipant>());
        Assert.Equal(CallStage.Talking, d.State.Stage);
        Assert.Equal("bob", d.State.AgentId);
    }

    [Fact]
    public void AGivenUpAgent_FoundByACheck_IsTakenOffTheCall()
    {
        var d = BobInvitedAfterAlice().Send(new AgentJoined(2, "4:+1002")).Expire();
        Assert.Equal([new Reconcile()], d.Last);

        d.Send(new Reconciled(true, [Shopper, "4:+1002", "4:+1001"]));

        Assert.Equal([new RemoveParticipant("alice", "4:+1001")], d.Last.OfType<RemoveParticipant>());
        Assert.Equal(CallStage.Talking, d.State.Stage);
    }

    [Fact]
    public void TheCallsAgent_AndTheShopper_AreNeverTakenOffTheCall()
    {
        var d = Talking();

        d.Send(new ParticipantsChanged(1, [Shopper, "4:+1999"])).Send(new AgentJoined(1, "4:+1999")).Send(new AgentJoined(1)).Expire().Send(new Reconciled(true, [Shopper, "4:+1999"]));

        Assert.Empty(d.Commands.OfType<RemoveParticipant>());
        Assert.Empty(d.State.AgentsRemoved);
    }

    [Fact]
    public void AnOlderPicture_WithAGivenUpAgent_RemovesNobody()
    {
        var d = BobInvitedAfterAlice().Send(new ParticipantsChanged(7, [Shopper]));

        d.Send(new ParticipantsChanged(4, [Shopper, "4:+1001"]));

        Assert.Empty(d.Commands.OfType<RemoveParticipant>());
    }

    [Fact]
    public void AGivenUpAgentWhoJoins_WhileTheCallIsBeingHungUp_IsLeftToTheHangUp()
    {
        var d = BobInvitedAfterAlice().Send(new ParticipantsChanged(3, []));
        Assert.Equal(CallStage.HangingUp, d.State.Stage);

        d.Send(new AgentJoined(1, "4:+1001"));

        Assert.Empty(d.Commands.OfType<RemoveParticipant>());
    }
}
