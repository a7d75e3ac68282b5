using CartCall.Domain.Billing;
using static CartCall.Domain.Tests.Billing.MerchantPlanTests;

namespace CartCall.Domain.Tests.Billing;

public class PlanScheduleTests
{
    private static readonly MerchantPlan Basic = Plan(fee: 1000);
    private static readonly MerchantPlan Pro = Plan(fee: 9000) with { Id = "pro" };

    [Fact]
    public void AChange_AppliesFromTheNextDayInTheMerchantsTimeZone()
    {
        // 23:30 UTC on 3 Nov is already 4 Nov in Auckland: the change applies from 5 Nov there.
        var requested = new DateTimeOffset(2026, 11, 3, 23, 30, 0, TimeSpan.Zero);
        var schedule = PlanSchedule.Start(Basic, "Pacific/Auckland").WithChange(Pro, requested);

        Assert.Equal(new DateOnly(2026, 11, 5), schedule.Assignments[^1].EffectiveFrom);
        Assert.Equal("standard", schedule.PlanOn(new DateOnly(2026, 11, 4)).Id);
        Assert.Equal("pro", schedule.PlanOn(new DateOnly(2026, 11, 5)).Id);
        // The same request for a merchant in New York applies from 4 Nov.
        Assert.Equal(new DateOnly(2026, 11, 4), PlanSchedule.EffectiveDateOfChange(requested, "America/New_York"));
    }

    [Fact]
    public void CallsOnTheDayOfTheChange_StayOnTheOldPlan()
    {
        var requested = new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);
        var schedule = PlanSchedule.Start(Basic, "Europe/Berlin").WithChange(Pro, requested);
        Assert.Equal("standard", schedule.PlanAt(requested.AddHours(12)).Id);
        Assert.Equal("pro", schedule.PlanAt(requested.AddHours(16)).Id);
    }

    [Fact]
    public void TheLatestChangeOfTheDay_Wins()
    {
        var at = new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);
        var schedule = PlanSchedule.Start(Basic, "Etc/UTC").WithChange(Pro, at).WithChange(Basic with { Id = "back" }, at.AddHours(2));
        Assert.Equal(2, schedule.Assignments.Count);
        Assert.Equal("back", schedule.PlanOn(new DateOnly(2026, 11, 4)).Id);
    }

    [Fact]
    public void AChangeOfCurrency_IsRefused()
    {
        var schedule = PlanSchedule.Start(Basic, "Etc/UTC");
        Assert.Contains(schedule.ValidateChange(Plan(currency: "USD")), p => p.Contains("keeps the currency"));
        Assert.Throws<ArgumentException>(() => schedule.WithChange(Plan(currency: "USD"), DateTimeOffset.UnixEpoch));
    }
}
