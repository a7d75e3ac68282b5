using System.Security.Cryptography;
using System.Text;

namespace CartCall.Domain.Hooks;

/// <summary>
/// The deterministic parts of a fan-out, safe to call from an orchestrator (no clock, no randomness, no I/O):
/// which hooks run, in what order they are started, how many at once, and each invocation's idempotency key.
/// </summary>
public static class HookPlan
{
    /// <summary>Enabled hooks at <paramref name="point"/>, highest priority first, then by id.</summary>
    public static IReadOnlyList<HookRegistration> For(string point, IEnumerable<HookRegistration> registrations) =>
        Order(registrations.Where(r => r.ListensTo(point)));

    public static IReadOnlyList<HookRegistration> Order(IEnumerable<HookRegistration> hooks) =>
        hooks.OrderByDescending(h => h.Priority).ThenBy(h => h.HookId, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Start order under a concurrency limit: the first <c>limit</c> start at once, and each later one when any
    /// running one finishes (a sliding window, not batches, so one slow hook does not hold back the rest).
    /// </summary>
    public static int EffectiveConcurrency(int hookCount, int merchantLimit) => Math.Max(0, Math.Min(hookCount, Math.Max(1, merchantLimit)));

    /// <summary>
    /// The idempotency key of one hook's invocation for one occurrence of a lifecycle point (e.g. one call's
    /// before-dial): the same across retries, orchestration replays and merchant-requested replays, different for
    /// every hook and occurrence. <paramref name="occurrenceId"/> is the call id or offer id.
    /// </summary>
    public static string IdempotencyKey(string point, string occurrenceId, string hookId)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(occurrenceId);
        ArgumentNullException.ThrowIfNull(hookId);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{point}\n{occurrenceId}\n{hookId}"));
        return "hk_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
