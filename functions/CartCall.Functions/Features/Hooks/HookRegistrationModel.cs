using CartCall.Domain.Hooks;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// A hook as the admin API takes and shows it (and as Table storage keeps it). Durations are whole milliseconds so
/// the JSON stays obvious: <c>{"points":["call.before_dial"],"kind":"webhook","target":"https://…","timeoutMs":2000,
/// "retry":{"maxAttempts":3,"firstIntervalMs":1000,"backoffCoefficient":2,"maxIntervalMs":30000},"priority":10,
/// "failureMode":"closed","enabled":true}</c>.
/// </summary>
public sealed class HookRegistrationModel
{
    /// <summary>Ignored on PUT (the route names the hook); on POST, generated when absent.</summary>
    public string? HookId { get; set; }

    public string? Description { get; set; }

    public List<string> Points { get; set; } = [];

    public HookKind Kind { get; set; } = HookKind.Webhook;

    public string Target { get; set; } = "";

    public int TimeoutMs { get; set; } = 2_000;

    public HookRetryModel Retry { get; set; } = new();

    public int Priority { get; set; }

    public FailureMode FailureMode { get; set; } = FailureMode.Open;

    public bool Enabled { get; set; } = true;

    public DateTimeOffset? UpdatedAt { get; set; }

    public HookRegistration ToDomain(string merchantId, string hookId) => new(
        hookId, merchantId, Points ?? [], Kind, Target ?? "", TimeSpan.FromMilliseconds(TimeoutMs),
        (Retry ?? new()).ToDomain(), Priority, FailureMode, Enabled);

    public static HookRegistrationModel From(HookRegistration hook, string? description, DateTimeOffset? updatedAt)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return new()
        {
            HookId = hook.HookId,
            Description = description,
            Points = [.. hook.Points],
            Kind = hook.Kind,
            Target = hook.Target,
            TimeoutMs = (int)hook.Timeout.TotalMilliseconds,
            Retry = new()
            {
                MaxAttempts = hook.Retry.MaxAttempts,
                FirstIntervalMs = (int)hook.Retry.FirstInterval.TotalMilliseconds,
                BackoffCoefficient = hook.Retry.BackoffCoefficient,
                MaxIntervalMs = (int)hook.Retry.MaxInterval.TotalMilliseconds,
            },
            Priority = hook.Priority,
            FailureMode = hook.FailureMode,
            Enabled = hook.Enabled,
            UpdatedAt = updatedAt,
        };
    }
}

public sealed class HookRetryModel
{
    public int MaxAttempts { get; set; } = HookRetryPolicy.Default.MaxAttempts;

    public int FirstIntervalMs { get; set; } = (int)HookRetryPolicy.Default.FirstInterval.TotalMilliseconds;

    public double BackoffCoefficient { get; set; } = HookRetryPolicy.Default.BackoffCoefficient;

    public int MaxIntervalMs { get; set; } = (int)HookRetryPolicy.Default.MaxInterval.TotalMilliseconds;

    public HookRetryPolicy ToDomain() =>
        new(MaxAttempts, TimeSpan.FromMilliseconds(FirstIntervalMs), BackoffCoefficient, TimeSpan.FromMilliseconds(MaxIntervalMs));
}
