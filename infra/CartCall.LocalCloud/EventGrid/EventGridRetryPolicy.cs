namespace CartCall.LocalCloud.EventGrid;

/// <summary>Decides, after a failed attempt, whether and when the real service would try again.</summary>
internal sealed class EventGridRetryPolicy
{
    private static readonly TimeSpan RealFirstStep = TimeSpan.FromSeconds(10);
    private readonly IReadOnlyList<TimeSpan> _schedule;
    private readonly double _scale;

    public EventGridRetryPolicy(IReadOnlyList<TimeSpan> schedule)
    {
        if (schedule.Count == 0) throw new ArgumentException("The retry schedule needs at least one step.", nameof(schedule));
        _schedule = schedule;
        // A compressed schedule compresses the documented per-status floors by the same factor.
        _scale = schedule[0] / RealFirstStep;
    }

    /// <summary>Webhook answers the real service dead-letters at once (delivery-and-retry.md).</summary>
    public static bool IsNonRetriable(int statusCode) => statusCode is 400 or 401 or 403 or 413;

    public static bool IsSuccess(int statusCode) => statusCode is >= 200 and <= 204;

    /// <summary>
    /// An endpoint that is restarting or overloaded (a Functions app whose worker is coming back answers 503): for a
    /// validation handshake this is no answer yet, asked again with the next attempt as an unreachable endpoint is,
    /// rather than a refusal that would dead-letter every later event.
    /// </summary>
    public static bool IsUnavailable(int statusCode) => statusCode is 408 or 429 or >= 500;

    /// <summary>Delay before the next attempt after <paramref name="failedAttempts"/> failures (1 = first attempt failed).</summary>
    public TimeSpan DelayAfter(int failedAttempts, int? statusCode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var step = _schedule[Math.Min(failedAttempts - 1, _schedule.Count - 1)];
        var floor = statusCode switch
        {
            408 => TimeSpan.FromMinutes(2),
            503 => TimeSpan.FromSeconds(30),
            _ => TimeSpan.FromSeconds(10),
        } * _scale;
        return step > floor ? step : floor;
    }
}
