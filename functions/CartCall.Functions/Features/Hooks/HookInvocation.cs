using CartCall.Domain.Hooks;

namespace CartCall.Functions.Features.Hooks;

/// <summary>One attempt at one hook: what to call, with what bytes, under which key.</summary>
/// <param name="Payload">The CloudEvent JSON (<see cref="HookCloudEvent"/>); a replay sends the stored bytes again.</param>
/// <param name="Attempt">1 for the first attempt; sent along so a hook can tell a retry.</param>
/// <param name="SigningSecrets">The merchant's webhook secrets; each signs the request (rotation).</param>
public sealed record HookInvocation(
    HookRegistration Hook,
    string Point,
    string IdempotencyKey,
    ReadOnlyMemory<byte> Payload,
    int Attempt,
    IReadOnlyList<string> SigningSecrets);

/// <summary>What one attempt came to.</summary>
/// <param name="Transient">Worth retrying (network error, timeout, 5xx, 429, exit code 75); false for permanent failures.</param>
/// <param name="RetryAfter">The hook asked for this pause (HTTP <c>Retry-After</c>, or an open circuit's remaining time).</param>
/// <param name="LastStatus">HTTP status (<c>"http 503"</c>), exit code (<c>"exit 75"</c>), or <c>"timeout"</c>, <c>"network"</c>, <c>"circuit-open"</c>.</param>
/// <param name="Latency">Runner start to outcome.</param>
/// <param name="DispatchOverhead">Runner start to request body being written, or to the process having started; null when nothing was sent.</param>
public sealed record HookAttemptResult(
    HookOutcomeKind Kind,
    HookAnswer? Answer,
    bool Transient,
    TimeSpan? RetryAfter,
    string LastStatus,
    string? Error,
    TimeSpan Latency,
    TimeSpan? DispatchOverhead)
{
    public bool Succeeded => Kind == HookOutcomeKind.Answered;

    public HookOutcome ToOutcome(string hookId) => new(hookId, Kind, Answer, Error);
}

/// <summary>Runs one attempt of a hook of its kind. Never throws for anything the hook does; only for cancellation.</summary>
public interface IHookRunner
{
    HookKind Kind { get; }

    Task<HookAttemptResult> RunAsync(HookInvocation invocation, CancellationToken cancellationToken);
}
