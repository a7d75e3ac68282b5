using System.ComponentModel.DataAnnotations;
using CartCall.Domain.Carts;
using CartCall.Domain.Offers;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.Configuration;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>How the evaluator keeps one pending check per session, on a clock the test holds (no storage).</summary>
public sealed class IdlePlanningTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly IdleSchedule Schedule = IdleSchedule.Default;

    private static CartSession Session(params (CartEventType Type, int SecondsAfterT0)[] events)
    {
        var session = CartSession.Start("m", "s");
        var i = 0;
        foreach (var (type, seconds) in events)
        {
            session.Apply(new CartEvent($"e{i++}", "s", null, T0.AddSeconds(seconds), type,
                new CartSnapshot("USD", [new LineItem("A", "A", 1, 100m, 50m)]), null));
        }

        return session;
    }

    [Fact]
    public void FirstEventInCheckout_SchedulesTheFirstMark()
    {
        var session = Session((CartEventType.ItemAdded, -20), (CartEventType.CheckoutStarted, 0));

        var next = SessionEvaluator.PlanNext(Schedule, session, T0.AddSeconds(1), pending: null, isCheck: false, orderJustCompleted: false);

        Assert.Equal(T0.AddSeconds(30), next.ReevaluateAt);
        Assert.Equal(next.ReevaluateAt, next.Schedule);
        Assert.False(next.Finished);
    }

    [Fact]
    public void LaterEvent_KeepsAPendingCheckThatComesNoLater_AndReplacesOneThatComesLater()
    {
        var session = Session((CartEventType.CheckoutStarted, 0), (CartEventType.ShippingViewed, 10));

        var keep = SessionEvaluator.PlanNext(Schedule, session, T0.AddSeconds(10), pending: T0.AddSeconds(30), isCheck: false, orderJustCompleted: false);
        var replace = SessionEvaluator.PlanNext(Schedule, session, T0.AddSeconds(10), pending: T0.AddMinutes(8), isCheck: false, orderJustCompleted: false);

        Assert.Equal((T0.AddSeconds(30), (DateTimeOffset?)null), (keep.ReevaluateAt, keep.Schedule));
        Assert.Equal(T0.AddSeconds(40), replace.Schedule);
    }

    [Fact]
    public void PendingCheckOverdueByMinutes_IsTakenAsLost_AndReplaced()
    {
        var session = Session((CartEventType.CheckoutStarted, 0), (CartEventType.ShippingViewed, 600));

        var next = SessionEvaluator.PlanNext(Schedule, session, T0.AddSeconds(600), pending: T0.AddSeconds(30), isCheck: false, orderJustCompleted: false);

        Assert.Equal(T0.AddSeconds(630), next.Schedule);
    }

    [Fact]
    public void OutsideCheckout_TheOnlyCheckIsTheClose_AndAVisitWithoutACartIsNotFollowed()
    {
        var withCart = Session((CartEventType.ItemAdded, 0));
        var browsing = CartSession.Start("m", "s");
        browsing.Apply(new CartEvent("p", "s", null, T0, CartEventType.PageViewed, null, null));

        var close = SessionEvaluator.PlanNext(Schedule, withCart, T0, null, isCheck: false, orderJustCompleted: false);
        var none = SessionEvaluator.PlanNext(Schedule, browsing, T0, null, isCheck: false, orderJustCompleted: false);

        Assert.Equal(T0 + Schedule.StopAfter, close.Schedule);
        Assert.Null(none.Schedule);
        Assert.Null(none.ReevaluateAt);
    }

    [Fact]
    public void CheckAtTheStop_FinishesTheSession_AndAnOrderFinishesItAtOnce()
    {
        var quiet = Session((CartEventType.CheckoutStarted, 0));
        var bought = Session((CartEventType.CheckoutStarted, 0), (CartEventType.OrderCompleted, 60));

        var closed = SessionEvaluator.PlanNext(Schedule, quiet, T0 + Schedule.StopAfter, T0 + Schedule.StopAfter, isCheck: true, orderJustCompleted: false);
        var ordered = SessionEvaluator.PlanNext(Schedule, bought, T0.AddSeconds(60), T0.AddSeconds(90), isCheck: false, orderJustCompleted: true);

        Assert.Equal((null, null, true), (closed.ReevaluateAt, closed.Schedule, closed.Finished));
        Assert.Equal((null, null, true), (ordered.ReevaluateAt, ordered.Schedule, ordered.Finished));
    }

    [Fact]
    public void OfferStopsTheMarks_AndLeavesOnlyTheClose()
    {
        var session = Session((CartEventType.CheckoutStarted, 0));
        session.RecordOfferProposed(T0.AddSeconds(90));

        var next = SessionEvaluator.PlanNext(Schedule, session, T0.AddSeconds(90), T0.AddSeconds(90), isCheck: true, orderJustCompleted: false);

        Assert.Equal(T0 + Schedule.StopAfter, next.Schedule);
    }

    [Theory]
    [InlineData(30, 30, true)]     // on time
    [InlineData(29.5, 30, true)]   // early within the tolerance
    [InlineData(27, 30, false)]    // too early: sends itself again
    [InlineData(100, 30, true)]    // late: lands on the latest mark reached
    [InlineData(1200, 1200, false)] // the close stands for the last mark, already decided
    public void Check_DecidesOnlyWhenItReachesTheMarkItWasScheduledFor(double idleSeconds, double scheduledSeconds, bool decides)
    {
        var session = Session((CartEventType.CheckoutStarted, 0));

        Assert.Equal(decides, SessionEvaluator.ReachesItsMark(Schedule, session, T0.AddSeconds(idleSeconds), T0.AddSeconds(scheduledSeconds)));
    }

    [Fact]
    public void OnlyTheSessionsPendingCheck_Acts_ToTheMillisecond()
    {
        var due = T0.AddSeconds(30);

        Assert.True(SessionEvaluator.IsPendingCheck(due, due.AddTicks(3), T0));
        Assert.False(SessionEvaluator.IsPendingCheck(due, due.AddMilliseconds(1), T0));
        Assert.False(SessionEvaluator.IsPendingCheck(null, due, T0));
        // A message from before due times were named acts when a check is due.
        Assert.True(SessionEvaluator.IsPendingCheck(due, null, due));
        Assert.False(SessionEvaluator.IsPendingCheck(due, null, T0));
    }

    [Fact]
    public void IdleSettings_BindFromConfiguration_AndABadScheduleFailsStartUpValidation()
    {
        var good = Bind(new()
        {
            ["CartCall:Sessions:Idle:FirstChecks:0"] = "00:00:20",
            ["CartCall:Sessions:Idle:FirstChecks:1"] = "00:01:00",
            ["CartCall:Sessions:Idle:RepeatEvery"] = "00:10:00",
        });
        var bad = Bind(new()
        {
            ["CartCall:Sessions:Idle:FirstChecks:0"] = "00:02:00",
            ["CartCall:Sessions:Idle:FirstChecks:1"] = "00:01:00",
        });

        Assert.Equal([TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1)], good.Schedule.FirstChecks);
        Assert.Equal(TimeSpan.FromMinutes(10), good.Schedule.RepeatEvery);
        Assert.Equal(IdleSchedule.Default.StopAfter, good.Schedule.StopAfter);
        Assert.Empty(Validate(good));
        Assert.Equal(IdleSchedule.Default.FirstChecks, new CartSessionOptions().Schedule.FirstChecks);
        Assert.Contains(Validate(bad), r => r.ErrorMessage!.Contains("firstChecks[1]", StringComparison.Ordinal));
    }

    private static CartSessionOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new CartSessionOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(CartSessionOptions.Section).Bind(options);
        return options;
    }

    private static List<ValidationResult> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
