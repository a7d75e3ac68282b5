using System.Globalization;

namespace CartCall.Testing;

/// <summary>App settings for the idle schedule (<c>CartCall:Sessions:Idle</c>) as tests set them.</summary>
public static class IdleSettings
{
    /// <summary>A single idle check <paramref name="after"/> the last event (and the session closed then): IdleSchedule.Once.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Once(TimeSpan after) => Schedule([after], TimeSpan.Zero, after);

    /// <summary>Checks at the given silences, then every <paramref name="repeatEvery"/> (zero: none), closing at <paramref name="stopAfter"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Schedule(IReadOnlyList<TimeSpan> firstChecks, TimeSpan repeatEvery, TimeSpan stopAfter)
    {
        ArgumentNullException.ThrowIfNull(firstChecks);
        for (var i = 0; i < firstChecks.Count; i++)
        {
            yield return new($"CartCall:Sessions:Idle:FirstChecks:{i}", Text(firstChecks[i]));
        }

        yield return new("CartCall:Sessions:Idle:RepeatEvery", Text(repeatEvery));
        yield return new("CartCall:Sessions:Idle:StopAfter", Text(stopAfter));
    }

    /// <summary>Adds the settings to a fixture's dictionary.</summary>
    public static void AddTo(IDictionary<string, string?> settings, IEnumerable<KeyValuePair<string, string?>> idle)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(idle);
        foreach (var (key, value) in idle)
        {
            settings[key] = value;
        }
    }

    private static string Text(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
