namespace CartCall.Domain.Hooks;

public enum HookKind
{
    /// <summary>An HTTPS endpoint that receives the event as a signed CloudEvent.</summary>
    Webhook,

    /// <summary>A local executable from the configured allow-list: the event on stdin, the answer on stdout.</summary>
    Process,
}

/// <summary>What a hook's missing answer (timeout, failure, invalid output) means.</summary>
public enum FailureMode
{
    /// <summary>Carry on as if the hook had answered "continue".</summary>
    Open,

    /// <summary>Stop, as if the hook had vetoed (only at points that can be stopped).</summary>
    Closed,
}

/// <summary>
/// How often and how far apart attempts are made: the same four numbers as Durable Functions' <c>RetryPolicy</c>
/// (max attempts, first interval, backoff coefficient, max interval), so the orchestration can use them as they are.
/// </summary>
public sealed record HookRetryPolicy(int MaxAttempts, TimeSpan FirstInterval, double BackoffCoefficient, TimeSpan MaxInterval)
{
    public static readonly HookRetryPolicy Default = new(3, TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(30));

    /// <summary>
    /// The wait before attempt <paramref name="nextAttempt"/> (2 = the first retry): first × coefficient^(n−2), at most
    /// the max interval; a longer <c>Retry-After</c> from the hook is honoured up to <see cref="HookBounds.MaxRetryAfter"/>.
    /// </summary>
    public TimeSpan DelayBefore(int nextAttempt, TimeSpan? retryAfter = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextAttempt, 2);
        var scaled = FirstInterval.TotalMilliseconds * Math.Pow(BackoffCoefficient, nextAttempt - 2);
        var backoff = TimeSpan.FromMilliseconds(Math.Min(double.IsFinite(scaled) ? scaled : double.MaxValue, MaxInterval.TotalMilliseconds));
        if (retryAfter is { } asked && asked > backoff)
        {
            return asked < HookBounds.MaxRetryAfter ? asked : HookBounds.MaxRetryAfter;
        }

        return backoff;
    }
}

/// <summary>One merchant hook: where it is called, what is called, and how patiently.</summary>
/// <param name="Target">For a webhook, its absolute URL; for a process, the name of an allow-listed executable.</param>
/// <param name="Priority">Higher wins when hooks disagree (routing, enrichment keys, which veto reason is shown).</param>
public sealed record HookRegistration(
    string HookId,
    string MerchantId,
    IReadOnlyList<string> Points,
    HookKind Kind,
    string Target,
    TimeSpan Timeout,
    HookRetryPolicy Retry,
    int Priority,
    FailureMode FailureMode,
    bool Enabled)
{
    public bool ListensTo(string point) => Enabled && Points.Contains(point, StringComparer.Ordinal);
}
