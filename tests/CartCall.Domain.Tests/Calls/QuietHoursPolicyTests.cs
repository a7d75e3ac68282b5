using System.Globalization;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCall.Domain.Tests.Calls;

public class QuietHoursPolicyTests
{
    private const string Berlin = "Europe/Berlin";
    private static readonly QuietHours Overnight = new(new TimeOnly(22, 0), new TimeOnly(7, 0));

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    [Fact]
    public void DeferUntil_AcrossMidnight_ReturnsEndOfQuietPeriod()
    {
        // Monday 23:30 in Berlin (CET) → Tuesday 07:00 CET.
        Assert.Equal(At("2025-01-14T07:00:00+01:00"), QuietHoursPolicy.DeferUntil(Overnight, Berlin, At("2025-01-13T22:30:00Z")));
    }

    [Fact]
    public void DeferUntil_InMorningPartOfOvernightWindow_ReturnsThatMorning()
    {
        Assert.Equal(At("2025-01-14T07:00:00+01:00"), QuietHoursPolicy.DeferUntil(Overnight, Berlin, At("2025-01-14T04:00:00Z")));
    }

    [Theory]
    [InlineData("2025-01-14T11:00:00Z")] // midday
    [InlineData("2025-01-14T06:00:00Z")] // exactly 07:00 local: quiet hours are over
    [InlineData("2025-01-14T20:59:59Z")] // 21:59:59 local
    public void DeferUntil_OutsideQuietHours_ReturnsNull(string now)
    {
        Assert.Null(QuietHoursPolicy.DeferUntil(Overnight, Berlin, At(now)));
    }

    [Fact]
    public void DeferUntil_AtStartOfQuietHours_Defers()
    {
        Assert.NotNull(QuietHoursPolicy.DeferUntil(Overnight, Berlin, At("2025-01-14T21:00:00Z")));
    }

    [Fact]
    public void DeferUntil_DaytimeWindow_ReturnsSameDayEnd()
    {
        var lunch = new QuietHours(new TimeOnly(12, 0), new TimeOnly(14, 0));
        Assert.Equal(At("2025-01-14T14:00:00-05:00"), QuietHoursPolicy.DeferUntil(lunch, "America/New_York", At("2025-01-14T17:30:00Z")));
    }

    [Fact]
    public void DeferUntil_NightClocksGoForward_EndsAtSummerTimeWallClock()
    {
        // 29→30 March 2025: Berlin moves from +01:00 to +02:00 at 02:00.
        Assert.Equal(At("2025-03-30T07:00:00+02:00"), QuietHoursPolicy.DeferUntil(Overnight, Berlin, At("2025-03-29T22:00:00Z")));
    }

    [Fact]
    public void DeferUntil_EndFallsInSpringForwardGap_ReturnsInstantClocksJump()
    {
        var q = new QuietHours(new TimeOnly(22, 0), new TimeOnly(2, 30)); // 02:30 never happens that night
        Assert.Equal(At("2025-03-30T01:00:00Z"), QuietHoursPolicy.DeferUntil(q, Berlin, At("2025-03-29T22:00:00Z")));
    }

    [Fact]
    public void DeferUntil_EndFallsInRepeatedHour_ReturnsFirstOccurrence()
    {
        // 26 October 2025: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
        var q = new QuietHours(new TimeOnly(22, 0), new TimeOnly(2, 30));
        Assert.Equal(At("2025-10-26T02:30:00+02:00"), QuietHoursPolicy.DeferUntil(q, Berlin, At("2025-10-25T21:00:00Z")));
    }

    [Fact]
    public void DeferUntil_InsideRepeatedHourAfterFirstEnd_ReturnsSecondOccurrence()
    {
        var q = new QuietHours(new TimeOnly(22, 0), new TimeOnly(2, 30));
        // 01:15Z is 02:15 CET, the second pass through the repeated hour.
        Assert.Equal(At("2025-10-26T02:30:00+01:00"), QuietHoursPolicy.DeferUntil(q, Berlin, At("2025-10-26T01:15:00Z")));
    }

    [Fact]
    public void DeferUntil_NoQuietHoursOrEmptyWindow_ReturnsNull()
    {
        Assert.Null(QuietHoursPolicy.DeferUntil(null, Berlin, At("2025-01-14T23:00:00Z")));
        Assert.Null(QuietHoursPolicy.DeferUntil(new QuietHours(new TimeOnly(9, 0), new TimeOnly(9, 0)), Berlin, At("2025-01-14T08:00:00Z")));
    }

    [Fact]
    public void DeferUntil_UnknownTimeZone_Throws()
    {
        Assert.Throws<TimeZoneNotFoundException>(() => QuietHoursPolicy.DeferUntil(Overnight, "Nowhere/Land", DateTimeOffset.UnixEpoch));
    }

    [Property(MaxTest = 500)]
    public Property DeferUntil_Result_IsLaterAndOutsideQuietHours() =>
        Prop.ForAll(
            (from startQuarter in Gen.Choose(0, 95)
             from lengthQuarters in Gen.Choose(4, 48) // 1 to 12 hours
             from minutes in Gen.Choose(0, 366 * 24 * 60) // a whole year, so both DST changes are crossed
             from zone in Gen.Elements(Berlin, "America/New_York", "Australia/Sydney", "Asia/Kolkata")
             select (startQuarter, lengthQuarters, minutes, zone)).ToArbitrary(),
            t =>
            {
                var start = new TimeOnly(0, 0).AddMinutes(t.startQuarter * 15);
                var q = new QuietHours(start, start.AddMinutes(t.lengthQuarters * 15));
                var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(t.minutes);
                var until = QuietHoursPolicy.DeferUntil(q, t.zone, now);
                return until is null
                    || (until > now && until - now <= TimeSpan.FromHours(13) && QuietHoursPolicy.DeferUntil(q, t.zone, until.Value) is null);
            });
}
