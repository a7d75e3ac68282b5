using CartCall.Domain.Preferences;

namespace CartCall.Domain.Calls;

/// <summary>Keeps phone calls out of the shopper's quiet hours, in their own time zone.</summary>
public static class QuietHoursPolicy
{
    /// <summary>
    /// Null when <paramref name="now"/> is outside quiet hours; otherwise the first instant after
    /// <paramref name="now"/> at which the shopper's wall clock reads <see cref="QuietHours.End"/> or later.
    /// Windows may cross midnight (End &lt; Start). Start == End is treated as no quiet hours.
    /// DST: if End falls in a spring-forward gap, quiet hours end when the clocks jump; if it falls in the
    /// repeated hour, the first occurrence after now counts.
    /// </summary>
    /// <exception cref="TimeZoneNotFoundException">Unknown zone (validate preferences with <see cref="TimeZones.IsKnown"/>).</exception>
    public static DateTimeOffset? DeferUntil(QuietHours? q, string timeZoneId, DateTimeOffset now)
    {
        if (q is null || q.Start == q.End)
        {
            return null;
        }

        var zone = TimeZones.Find(timeZoneId);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromTimeSpan(local.TimeOfDay);
        var today = DateOnly.FromDateTime(local.DateTime);

        DateOnly endDate;
        if (q.Start < q.End)
        {
            if (time < q.Start || time >= q.End)
            {
                return null;
            }

            endDate = today;
        }
        else
        {
            if (time >= q.Start)
            {
                endDate = today.AddDays(1); // evening part: ends tomorrow morning
            }
            else if (time < q.End)
            {
                endDate = today; // morning part: ends this morning
            }
            else
            {
                return null;
            }
        }

        return FirstInstantAtOrAfter(zone, endDate.ToDateTime(q.End), now);
    }

    /// <summary>The first instant after <paramref name="after"/> whose wall-clock time in the zone is at least <paramref name="wall"/>.</summary>
    private static DateTimeOffset FirstInstantAtOrAfter(TimeZoneInfo zone, DateTime wall, DateTimeOffset after)
    {
        wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(wall))
        {
            // Spring forward: this wall time never happens. Walk to the first minute that does (gaps are at most
            // a few hours, so the loop is bounded), then back off to the exact jump instant.
            var probe = new DateTime(wall.Year, wall.Month, wall.Day, wall.Hour, wall.Minute, 0, DateTimeKind.Unspecified);
            for (var i = 0; i < 24 * 60 && zone.IsInvalidTime(probe); i++)
            {
                probe = probe.AddMinutes(1);
            }

            return new DateTimeOffset(probe, zone.GetUtcOffset(probe));
        }

        if (zone.IsAmbiguousTime(wall))
        {
            // Fall back: the wall time happens twice. Earliest occurrence that is still in the future.
            var offsets = zone.GetAmbiguousTimeOffsets(wall);
            DateTimeOffset? best = null;
            foreach (var offset in offsets)
            {
                var candidate = new DateTimeOffset(wall, offset);
                if (candidate > after && (best is null || candidate < best))
                {
                    best = candidate;
                }
            }

            if (best is { } found)
            {
                return found;
            }
        }

        return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
    }
}
