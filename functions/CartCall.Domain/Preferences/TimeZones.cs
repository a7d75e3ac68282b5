namespace CartCall.Domain.Preferences;

public static class TimeZones
{
    /// <summary>
    /// True for IANA ids the machine knows (e.g. Europe/Berlin). Windows ids are refused even where .NET could
    /// convert them, so stored preferences stay portable.
    /// </summary>
    public static bool IsKnown(string? id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= 64
        && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;

    /// <summary>Finds a zone known to <see cref="IsKnown"/>.</summary>
    /// <exception cref="TimeZoneNotFoundException">Unknown id.</exception>
    public static TimeZoneInfo Find(string id) =>
        IsKnown(id) ? TimeZoneInfo.FindSystemTimeZoneById(id) : throw new TimeZoneNotFoundException($"Unknown IANA time zone '{id}'.");
}
