using CartCall.Domain.Offers;

namespace CartCall.Domain.Tests.Offers;

public class BusinessHoursTests
{
    private static readonly BusinessHours BerlinWeekdays = new("Europe/Berlin",
    [
        .. new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(d => new OpeningWindow(d, new TimeOnly(9, 0), new TimeOnly(17, 0))),
    ]);

    [Theory]
    [InlineData("2025-01-13T08:30:00Z", true)]  // Monday 09:30 CET
    [InlineData("2025-01-13T07:59:00Z", false)] // Monday 08:59 CET
    [InlineData("2025-01-13T16:00:00Z", false)] // Monday 17:00 CET: closing time is exclusive
    [InlineData("2025-01-18T10:00:00Z", false)] // Saturday
    [InlineData("2025-07-14T07:30:00Z", true)]  // Monday 09:30 CEST: follows daylight saving
    [InlineData("2025-07-14T15:30:00Z", false)] // Monday 17:30 CEST
    public void IsOpen_WeekdayHours_UsesMerchantWallClock(string at, bool expected)
    {
        Assert.Equal(expected, BerlinWeekdays.IsOpen(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("2025-01-17T21:30:00Z", true)]  // Friday 22:30 local, window opened 20:00
    [InlineData("2025-01-18T00:30:00Z", true)]  // Saturday 01:30 local, still Friday's window
    [InlineData("2025-01-18T01:00:00Z", false)] // Saturday 02:00 local, closed
    [InlineData("2025-01-17T18:59:00Z", false)] // Friday 19:59 local, not yet open
    [InlineData("2025-01-19T00:30:00Z", false)] // Sunday 01:30: Saturday has no window
    public void IsOpen_WindowPastMidnight_StaysOpenIntoNextDay(string at, bool expected)
    {
        var lateFriday = new BusinessHours("Europe/Berlin", [new OpeningWindow(DayOfWeek.Friday, new TimeOnly(20, 0), new TimeOnly(2, 0))]);
        Assert.Equal(expected, lateFriday.IsOpen(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void IsOpen_NoWindows_IsClosed()
    {
        Assert.False(new BusinessHours("Etc/UTC", []).IsOpen(DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void AlwaysOpen_IsOpenAtAnyTime()
    {
        for (var hour = 0; hour < 24 * 7; hour += 5)
        {
            Assert.True(BusinessHours.AlwaysOpen.IsOpen(new DateTimeOffset(2025, 3, 3, 0, 17, 0, TimeSpan.Zero).AddHours(hour)));
        }
    }

    [Fact]
    public void Validate_UnknownTimeZone_IsReported()
    {
        var problems = new BusinessHours("Mars/Olympus", []).Validate();
        Assert.Contains("Mars/Olympus", Assert.Single(problems), StringComparison.Ordinal);
        Assert.Empty(BerlinWeekdays.Validate());
    }
}
