using System.Globalization;

namespace CartCall.Domain.Experiments;

/// <summary>A merchant's experiment: how many sessions are held out and how long after a decision an order counts.</summary>
/// <param name="HoldoutShare">Share of sessions in the control group, 0 to 0.5 (default 0.10).</param>
/// <param name="AttributionWindow">An order completed within this after the decision is attributed to it (default 24 h).</param>
public sealed record ExperimentSettings(double HoldoutShare, TimeSpan AttributionWindow)
{
    public static readonly TimeSpan MinAttributionWindow = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxAttributionWindow = TimeSpan.FromDays(30);

    public static ExperimentSettings Default { get; } = new(HoldoutAssignment.DefaultShare, TimeSpan.FromHours(24));

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!(HoldoutShare is >= 0 and <= HoldoutAssignment.MaxShare))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"experiment.holdoutShare must be between 0 and {HoldoutAssignment.MaxShare}."));
        }

        if (AttributionWindow < MinAttributionWindow || AttributionWindow > MaxAttributionWindow)
        {
            problems.Add("experiment.attributionWindow must be between 1 minute and 30 days.");
        }

        return problems;
    }
}

/// <summary>Which orders count for a decision.</summary>
public static class Attribution
{
    /// <summary>
    /// True when the order completed at or after the decision and no later than <paramref name="window"/> after it.
    /// An order before the decision is not attributed (the policy never offers on a completed order, so such a pair
    /// means clock skew or a replay, and counting it would flatter whichever arm it fell in).
    /// </summary>
    public static bool IsAttributed(DateTimeOffset decidedAt, DateTimeOffset? orderCompletedAt, TimeSpan window) =>
        orderCompletedAt is { } completed && completed >= decidedAt && completed - decidedAt <= window;
}
