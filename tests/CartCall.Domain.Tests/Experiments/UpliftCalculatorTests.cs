using CartCall.Domain.Experiments;

namespace CartCall.Domain.Tests.Experiments;

public class UpliftCalculatorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentSettings Settings = new(0.5, TimeSpan.FromHours(24));

    [Theory]
    [InlineData(0, true)] // at the decision
    [InlineData(60, true)]
    [InlineData(24 * 60, true)] // the window's last instant
    [InlineData((24 * 60) + 1, false)]
    [InlineData(-1, false)] // before the decision
    public void Attribution_CountsOrdersWithinTheWindowAfterTheDecision(int minutesAfter, bool attributed)
    {
        Assert.Equal(attributed, Attribution.IsAttributed(T0, T0.AddMinutes(minutesAfter), TimeSpan.FromHours(24)));
        Assert.False(Attribution.IsAttributed(T0, null, TimeSpan.FromHours(24)));
    }

    private static ExperimentSession Session(int i, ExperimentArm arm, bool converted, bool shown = false, bool accepted = false, bool connected = false, decimal cost = 0) =>
        new($"s{i}", arm, T0.AddMinutes(i), shown, accepted, connected, cost,
            converted ? T0.AddMinutes(i + 30) : null, converted ? 100m : 0m, converted ? 40m : 0m);

    /// <summary>
    /// Treatment: 10 sessions, 4 orders of 100 (margin 40); 8 shown, 3 accepted (cost 2 each), 2 connected, both converted.
    /// Control: 10 sessions, 2 orders.
    /// </summary>
    private static List<ExperimentSession> HandCase()
    {
        var sessions = new List<ExperimentSession>
        {
            Session(0, ExperimentArm.Treatment, true, shown: true, accepted: true, connected: true, cost: 2),
            Session(1, ExperimentArm.Treatment, true, shown: true, accepted: true, connected: true, cost: 2),
            Session(2, ExperimentArm.Treatment, true, shown: true, accepted: true, cost: 2),
            Session(3, ExperimentArm.Treatment, true, shown: true),
            Session(4, ExperimentArm.Treatment, false, shown: true),
            Session(5, ExperimentArm.Treatment, false, shown: true),
            Session(6, ExperimentArm.Treatment, false, shown: true),
            Session(7, ExperimentArm.Treatment, false, shown: true),
            Session(8, ExperimentArm.Treatment, false),
            Session(9, ExperimentArm.Treatment, false),
        };
        sessions.AddRange(Enumerable.Range(10, 10).Select(i => Session(i, ExperimentArm.Control, i < 12)));
        return sessions;
    }

    [Fact]
    public void Compute_HandCase_ConversionsRevenueAndFunnel()
    {
        var r = UpliftCalculator.Compute(HandCase(), T0, T0.AddDays(1), T0.AddDays(3), Settings);

        Assert.Equal((10, 4, 400m, 160m), (r.Treatment.Sessions, r.Treatment.Conversions, r.Treatment.Revenue, r.Treatment.Margin));
        Assert.Equal((10, 2, 200m, 80m), (r.Control.Sessions, r.Control.Conversions, r.Control.Revenue, r.Control.Margin));
        Assert.Equal((40.0, 16.0), (r.Treatment.RevenuePerSession, r.Treatment.MarginPerSession));
        Assert.Equal(new OfferFunnel(Offers: 20, Withheld: 10, Shown: 8, Accepted: 3, Connected: 2, Converted: 2), r.Funnel);
        Assert.Equal(3.0 / 8, r.AcceptanceRate);
        Assert.Equal((2, 6m), (r.Calls, r.CallCost));
        Assert.Equal(0, r.Maturing);
        Assert.False(r.Sufficient); // 10 per arm is below 30
    }

    [Fact]
    public void Compute_HandCase_Intervals()
    {
        var r = UpliftCalculator.Compute(HandCase(), T0, T0.AddDays(1), T0.AddDays(3), Settings);

        // Conversion: Newcombe for 4/10 − 2/10 (Wilson 4/10 = [0.1682, 0.6873], 2/10 = [0.0567, 0.5098]):
        // L = 0.2 − √(0.2318² + 0.3098²) = −0.1870, U = 0.2 + √(0.2873² + 0.1433²) = 0.5211.
        Assert.Equal(0.2, r.ConversionDifference.Value, 12);
        Assert.Equal(-0.1870, r.ConversionDifference.Lower, 4);
        Assert.Equal(0.5211, r.ConversionDifference.Upper, 4);
        // Times the treatment's 10 sessions.
        Assert.Equal(2.0, r.IncrementalConversions.Value, 10);
        Assert.Equal(-1.870, r.IncrementalConversions.Lower, 3);

        // Margin per session: treatment {40×4, 0×6}: mean 16, s² = (4×24² + 6×16²)/9 = 426.667;
        // control {40×2, 0×8}: mean 8, s² = (2×32² + 8×8²)/9 = 284.444. se = √(42.667 + 28.444) = 8.4327;
        // d = 8 ± 1.95996 × 8.4327 = [−8.5278, 24.5278]; × 10 sessions = 80 [−85.278, 245.278].
        Assert.Equal(80, r.IncrementalMargin.Value, 9);
        Assert.Equal(-85.278, r.IncrementalMargin.Lower, 2);
        Assert.Equal(245.278, r.IncrementalMargin.Upper, 2);
        Assert.Equal(200, r.IncrementalRevenue.Value, 9);
        Assert.Equal(74, r.NetIncrementalMargin.Value, 9);
        Assert.Equal(-91.278, r.NetIncrementalMargin.Lower, 2);
        Assert.Equal(80.0 / 6, r.ReturnOnCallCost!.Value, 9);
    }

    [Fact]
    public void Compute_KeepsOnlyThePeriod_AndOrdersOutsideTheWindow_DoNotCount()
    {
        var sessions = new List<ExperimentSession>
        {
            Session(0, ExperimentArm.Treatment, true),
            Session(0, ExperimentArm.Control, false) with { DecidedAt = T0.AddDays(-1) }, // before the period
            Session(5, ExperimentArm.Control, true) with { OrderCompletedAt = T0.AddDays(3) }, // outside the 24 h window
            Session(6, ExperimentArm.Control, true) with { OrderCompletedAt = T0.AddMinutes(1) }, // before its decision
        };

        var r = UpliftCalculator.Compute(sessions, T0, T0.AddDays(1), T0.AddDays(5), Settings);

        Assert.Equal((1, 1), (r.Treatment.Sessions, r.Treatment.Conversions));
        Assert.Equal((2, 0, 0m), (r.Control.Sessions, r.Control.Conversions, r.Control.Revenue));
    }

    [Fact]
    public void Compute_AnOrderAfterAsOf_IsNotKnownYet_AndTheSessionIsMaturing()
    {
        var sessions = new[] { Session(0, ExperimentArm.Treatment, true) };

        var early = UpliftCalculator.Compute(sessions, T0, T0.AddDays(1), T0.AddMinutes(10), Settings);
        var later = UpliftCalculator.Compute(sessions, T0, T0.AddDays(1), T0.AddDays(2), Settings);

        Assert.Equal((0, 1), (early.Treatment.Conversions, early.Maturing));
        Assert.Equal((1, 0), (later.Treatment.Conversions, later.Maturing));
    }

    [Fact]
    public void Compute_WithoutCalls_HasNoReturnOnCallCost_AndEnoughSessionsAreSufficient()
    {
        var sessions = Enumerable.Range(0, 80).Select(i => Session(i, i % 2 == 0 ? ExperimentArm.Treatment : ExperimentArm.Control, i % 5 == 0)).ToList();

        var r = UpliftCalculator.Compute(sessions, T0, T0.AddDays(1), T0.AddDays(3), Settings);

        Assert.Null(r.ReturnOnCallCost);
        Assert.Null(r.AcceptanceRate);
        Assert.True(r.Sufficient);
    }

    [Fact]
    public void Series_GivesOneReportPerPeriod()
    {
        var sessions = HandCase();
        var periods = new[] { (T0, T0.AddMinutes(10)), (T0.AddMinutes(10), T0.AddMinutes(20)) };

        var series = UpliftCalculator.Series(sessions, periods, T0.AddDays(3), Settings);

        Assert.Equal([10, 10], series.Select(r => r.Funnel.Offers));
        Assert.Equal([10, 0], series.Select(r => r.Treatment.Sessions));
    }
}
