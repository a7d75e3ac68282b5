using CartCall.Domain.Preferences;

namespace CartCall.Domain.Offers;

/// <summary>One opening period starting on <paramref name="Day"/>.</summary>
/// <param name="Closes">When it closes; at or before <paramref name="Opens"/> means the next day (past midnight),
/// so Opens == Closes is a full 24 hours.</param>
public sealed record OpeningWindow(DayOfWeek Day, TimeOnly Opens, TimeOnly Closes)
{
    public bool CrossesMidnight => Closes <= Opens;
}

/// <summary>When agents take calls, in the merchant's time zone (wall-clock time, so DST is followed).</summary>
public sealed record BusinessHours(string TimeZoneId, IReadOnlyList<OpeningWindow> Windows)
{
    /// <summary>Open around the clock in UTC (for tests and merchants who staff 24/7).</summary>
    public static BusinessHours AlwaysOpen { get; } = new("Etc/UTC",
        [.. Enum.GetValues<DayOfWeek>().Select(d => new OpeningWindow(d, TimeOnly.MinValue, TimeOnly.MinValue))]);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!TimeZones.IsKnown(TimeZoneId))
        {
            problems.Add($"hours.timeZoneId '{TimeZoneId}' is not a known IANA time zone (e.g. Europe/Berlin).");
        }

        if (Windows is null)
        {
            problems.Add("hours.windows is missing.");
        }
        else
        {
            for (var i = 0; i < Windows.Count; i++)
            {
                if (Windows[i] is null)
                {
                    problems.Add($"hours.windows[{i}] is missing.");
                }
                else if (!Enum.IsDefined(Windows[i].Day))
                {
                    problems.Add($"hours.windows[{i}].day is not a day of the week.");
                }
            }
        }

        return problems;
    }

    /// <exception cref="TimeZoneNotFoundException">The time zone is unknown (call <see cref="Validate"/> at start-up).</exception>
    public bool IsOpen(DateTimeOffset at)
    {
        if (Windows is null || Windows.Count == 0)
        {
            return false;
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZoneId);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var day = local.DayOfWeek;
        var previousDay = (DayOfWeek)(((int)day + 6) % 7);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);

        foreach (var window in Windows)
        {
            if (window.CrossesMidnight)
            {
                // Opens today until midnight, or opened yesterday and has not closed yet.
                if ((window.Day == day && time >= window.Opens) || (window.Day == previousDay && time < window.Closes))
                {
                    return true;
                }
            }
            else if (window.Day == day && time >= window.Opens && time < window.Closes)
            {
                return true;
            }
        }

        return false;
    }
}
