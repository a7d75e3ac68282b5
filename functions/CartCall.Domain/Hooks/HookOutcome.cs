namespace CartCall.Domain.Hooks;

public enum HookOutcomeKind
{
    /// <summary>The hook gave a valid answer (which may be a veto).</summary>
    Answered,

    /// <summary>No answer within its timeout, or before the lifecycle point's deadline.</summary>
    TimedOut,

    /// <summary>The hook could not be reached or reported a failure (after its last attempt).</summary>
    Failed,

    /// <summary>The hook answered something that is not a valid answer (not JSON, too large, unknown action).</summary>
    InvalidOutput,
}

/// <summary>The final outcome of one hook at one lifecycle point, after its retries.</summary>
public sealed record HookOutcome(string HookId, HookOutcomeKind Kind, HookAnswer? Answer, string? Error)
{
    public static HookOutcome Answered(string hookId, HookAnswer answer) => new(hookId, HookOutcomeKind.Answered, answer, null);

    public static HookOutcome TimedOut(string hookId, string? error = null) => new(hookId, HookOutcomeKind.TimedOut, null, error ?? "no answer in time");

    public static HookOutcome Failed(string hookId, string error) => new(hookId, HookOutcomeKind.Failed, null, error);

    public static HookOutcome Invalid(string hookId, string error) => new(hookId, HookOutcomeKind.InvalidOutput, null, error);
}
