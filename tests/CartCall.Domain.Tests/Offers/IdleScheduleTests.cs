using CartCall.Domain.Carts;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using CartCall.Domain.Tests.TestSupport;
using static CartCall.Domain.Tests.TestSupport.Build;

namespace CartCall.Domain.Tests.Offers;

public class IdleScheduleTests
{
    private static readonly IdleSchedule Schedule = IdleSchedule.Default;

    private static readonly IdleSessionState InCheckout = new(InCheckout: true, OrderCompleted: false, OfferMade: false, Expired: false);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Default_Marks_Are30s90s3MinThenEvery5MinUpTo20Min()
    {
        Assert.Equal([S(30), S(90), S(180), S(480), S(780), S(1080)], Schedule.Marks());
        Assert.Empty(Schedule.Validate());
    }

    [Theory]
    [InlineData(0, 30, 30)]
    [InlineData(10, 30, 20)]
    [InlineData(29.5, 90, 60.5)] // fired half a second early: still the 30 s check, the next is at 90 s
    [InlineData(30, 90, 60)]
    [InlineData(37, 90, 53)] // fired late (queues are polled): the next mark is still 90 s of silence
    [InlineData(95, 180, 85)]
    [InlineData(180, 480, 300)]
    [InlineData(1000, 1080, 80)]
    public void Next_IsTheFirstMarkAfterTheSilence(double idle, double mark, double delay)
    {
        var check = Schedule.Next(InCheckout, S(idle));

        Assert.False(check.Stop);
        Assert.Equal(S(mark), check.IdleAt);
        Assert.Equal(S(delay), check.Delay);
    }

    [Fact]
    public void Next_AfterTheLastMark_StopsAtTheLimit()
    {
        Assert.Equal(IdleCheck.Stopped(IdleStopReason.LimitReached), Schedule.Next(InCheckout, S(1080)));
        Assert.Equal(IdleCheck.Stopped(IdleStopReason.LimitReached), Schedule.Next(InCheckout, TimeSpan.FromHours(3)));
    }

    [Theory]
    [InlineData(true, true, true, false, IdleStopReason.OrderCompleted)]
    [InlineData(true, false, true, true, IdleStopReason.OfferMade)]
    [InlineData(true, false, false, true, IdleStopReason.Expired)]
    [InlineData(false, false, false, false, IdleStopReason.NotInCheckout)]
    public void Next_StopsForTheSessionsState_TheStrongestReasonFirst(bool inCheckout, bool completed, bool offered, bool expired, IdleStopReason reason)
    {
        var check = Schedule.Next(new IdleSessionState(inCheckout, completed, offered, expired), S(10));

        Assert.True(check.Stop);
        Assert.Equal(reason, check.Reason);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(12, null)] // a newer event restarted the count: this check is stale
    [InlineData(29.2, 30.0)]
    [InlineData(31, 30.0)]
    [InlineData(100, 90.0)]
    [InlineData(5000, 1080.0)]
    public void MarkAt_NamesTheMarkACheckStandsFor_OrNullWhenStale(double idle, double? mark)
    {
        Assert.Equal(mark is null ? null : S(mark.Value), Schedule.MarkAt(S(idle)));
        Assert.Equal(mark is not null, Schedule.IsDue(S(idle)));
    }

    [Fact]
    public void Once_ChecksASingleTime_AsTheAppDidBefore()
    {
        var once = IdleSchedule.Once(S(90));

        Assert.Equal([S(90)], once.Marks());
        Assert.Equal(S(90), once.Next(InCheckout, TimeSpan.Zero).Delay);
        Assert.True(once.Next(InCheckout, S(90)).Stop);
    }

    [Fact]
    public void Validate_ListsEveryProblem()
    {
        var bad = new IdleSchedule([S(30), S(30), S(-1)], S(1), S(10), TimeSpan.Zero);

        var problems = bad.Validate();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("firstChecks[1]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("firstChecks[2]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("stopAfter", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("repeatEvery", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("sessionLifetime", StringComparison.Ordinal));
        Assert.Contains(new IdleSchedule([], TimeSpan.Zero, S(10), TimeSpan.FromHours(1)).Validate(), p => p.Contains("at least one", StringComparison.Ordinal));
    }

    [Fact]
    public void State_Of_ReadsTheSession()
    {
        var session = SessionOf(TypicalCheckout());
        var last = session.LastEventAt;

        Assert.Equal(InCheckout, IdleSessionState.Of(session, last, Schedule));
        Assert.True(IdleSessionState.Of(session, session.FirstSeenAt + Schedule.SessionLifetime, Schedule).Expired);
        Assert.False(IdleSessionState.Of(SessionOf(TypicalCheckout().Take(6)), last, Schedule).InCheckout);
        session.RecordOfferProposed(last);
        Assert.True(IdleSessionState.Of(session, last, Schedule).OfferMade);
    }

    /// <summary>The app's loop with a fake clock: wait for the next check, score, decide, reschedule, until it stops.</summary>
    private static List<(TimeSpan Idle, double IdleSeconds, double Score, bool Offered)> RunIdleChecks(CartSession session, ManualClock clock, OfferPolicySettings settings)
    {
        var scorer = new CartScorer(ScoringWeights.Default);
        var checks = new List<(TimeSpan, double, double, bool)>();
        while (true)
        {
            var now = clock.GetUtcNow();
            var next = Schedule.Next(IdleSessionState.Of(session, now, Schedule), now - session.LastEventAt);
            if (next.Stop)
            {
                return checks;
            }

            clock.Advance(next.Delay);
            now = clock.GetUtcNow();
            var idle = now - session.LastEventAt;
            Assert.True(Schedule.IsDue(idle));
            var features = session.Features(now, 0.3m);
            var score = scorer.Evaluate(features);
            var decision = OfferPolicy.Decide(score, features, settings, new OfferCounters(0, session.OffersProposed, 0, 0, session.LastOfferAt, 1), now, session.OrderCompleted);
            if (decision.Propose)
            {
                session.RecordOfferProposed(now);
            }

            checks.Add((idle, features.IdleSeconds, score.Value, decision.Propose));
        }
    }

    private static OfferPolicySettings Settings(double minScore) => new(
        OfferDefaults.Value, OfferDefaults.Thresholds with { MinScore = minScore }, BusinessHours.AlwaysOpen,
        new FrequencyCaps(2, 3, TimeSpan.FromMinutes(10), 1), 100);

    [Fact]
    public void SilentCheckout_IsRescoredAtEachMark_WithIdleGrowing_UntilTheLimit()
    {
        var session = SessionOf(TypicalCheckout());
        var clock = new ManualClock(session.LastEventAt);

        var checks = RunIdleChecks(session, clock, Settings(minScore: 1.0)); // a threshold nothing reaches: never offered

        Assert.Equal(Schedule.Marks(), checks.Select(c => c.Idle));
        Assert.Equal(Schedule.Marks().Select(m => m.TotalSeconds), checks.Select(c => c.IdleSeconds));
        // The idle feature saturates at 10 minutes (README); until then every check must see a higher score.
        var rising = checks.Where(c => c.IdleSeconds <= 600).ToList();
        for (var i = 1; i < rising.Count; i++)
        {
            Assert.True(rising[i].Score > rising[i - 1].Score, $"the score fell from {rising[i - 1].Score} to {rising[i].Score} as the silence grew");
        }

        Assert.True(checks[^1].Score > checks[0].Score);
        Assert.DoesNotContain(checks, c => c.Offered);
    }

    [Fact]
    public void SilentCheckout_WithTheDefaults_GetsAnOffer_AndThenNoMoreChecks()
    {
        // A hesitant shopper goes quiet on the shipping step: the case the old single re-check missed.
        var cart = Cart(("kettle", 1, 89.00m, 40m));
        var session = SessionOf(
        [
            Event("e1", CartEventType.PageViewed, 0),
            Event("e2", CartEventType.ItemAdded, 40, cart),
            Event("e3", CartEventType.CheckoutStarted, 90, cart),
            Event("e4", CartEventType.ShippingViewed, 130, cart),
        ]);
        var clock = new ManualClock(session.LastEventAt);

        var checks = RunIdleChecks(session, clock, Settings(OfferDefaults.MinScore));

        Assert.True(checks[^1].Offered, "the idle checks never made an offer");
        Assert.Single(checks, c => c.Offered);
        Assert.Equal(IdleStopReason.OfferMade, Schedule.Next(IdleSessionState.Of(session, clock.GetUtcNow(), Schedule), clock.GetUtcNow() - session.LastEventAt).Reason);
    }

    [Fact]
    public void NewEvent_RestartsTheCount_AndAStaleCheckOnlyReschedules()
    {
        var session = SessionOf(TypicalCheckout());
        var clock = new ManualClock(session.LastEventAt);
        var first = Schedule.Next(IdleSessionState.Of(session, clock.GetUtcNow(), Schedule), TimeSpan.Zero);
        clock.Advance(S(20));
        session.Apply(Event("e11", CartEventType.ShippingViewed, clock.GetUtcNow()));

        clock.Advance(first.Delay - S(20)); // the check scheduled before the event fires 10 s after it
        var idle = clock.GetUtcNow() - session.LastEventAt;

        Assert.Equal(S(10), idle);
        Assert.False(Schedule.IsDue(idle));
        Assert.Equal(S(20), Schedule.Next(IdleSessionState.Of(session, clock.GetUtcNow(), Schedule), idle).Delay);
    }

    [Fact]
    public void PlanCheck_ScoresADueCheckOnce_WithACauseIdThatARedeliveryRepeats()
    {
        var session = SessionOf(TypicalCheckout());
        var at = session.LastEventAt.AddSeconds(31);

        var plan = Schedule.PlanCheck(session, at);
        var redelivered = Schedule.PlanCheck(session, at.AddSeconds(4)); // same check, delivered again a little later

        Assert.True(plan.ScoreNow);
        Assert.Equal($"idle@{session.LastEventAt.ToUnixTimeMilliseconds()}+30s", plan.CauseId);
        Assert.Equal(plan.CauseId, redelivered.CauseId);
        Assert.Equal(S(59), plan.Next.Delay);
    }

    [Fact]
    public void PlanCheck_OnAStaleCheckOrAClosedSession_OnlyReschedulesOrStops()
    {
        var session = SessionOf(TypicalCheckout());

        var stale = Schedule.PlanCheck(session, session.LastEventAt.AddSeconds(5));
        Assert.False(stale.ScoreNow);
        Assert.Equal(S(25), stale.Next.Delay);

        session.RecordOfferProposed(session.LastEventAt.AddSeconds(30));
        var offered = Schedule.PlanCheck(session, session.LastEventAt.AddSeconds(90));
        Assert.False(offered.ScoreNow);
        Assert.Equal(IdleStopReason.OfferMade, offered.Next.Reason);
    }

    [Fact]
    public void OrderCompleted_StopsTheChecks()
    {
        var session = SessionOf(TypicalCheckout());
        session.Apply(Event("e11", CartEventType.OrderCompleted, session.LastEventAt.AddSeconds(20)));

        var check = Schedule.Next(IdleSessionState.Of(session, session.LastEventAt.AddSeconds(30), Schedule), S(30));

        Assert.Equal(IdleStopReason.OrderCompleted, check.Reason);
    }
}
