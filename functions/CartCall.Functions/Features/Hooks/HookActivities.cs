using CartCall.Domain.Hooks;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// Builds the event a hook receives for an occurrence the fan-out only knows by id (a call): the feature that owns the
/// occurrence implements it. Null when the occurrence is unknown (nothing is then run).
/// </summary>
public interface IHookEventSource
{
    /// <summary>True when this source builds events for <paramref name="point"/>.</summary>
    bool Builds(string point);

    Task<HookEventData?> BuildAsync(string point, string occurrenceId, CancellationToken cancellationToken);
}

/// <summary>The fan-out's activities: all of its I/O (reading the hooks, recording and running each attempt).</summary>
public sealed class HookActivities(HookService hooks, TableHookStore store, IEnumerable<IHookEventSource> sources, IOptions<HooksOptions> options)
{
    /// <summary>The merchant's enabled hooks at the point, and each one's first attempt (payload and idempotency key).</summary>
    [Function(nameof(PlanHookFanOut))]
    public async Task<HookFanOutPlan> PlanHookFanOut([ActivityTrigger] HookFanOutInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var none = new HookFanOutPlan([], [], 0, options.Value.DefaultShopperMessage);
        var data = input.Data;
        if (data is null && sources.FirstOrDefault(s => s.Builds(input.Point)) is { } source)
        {
            data = await source.BuildAsync(input.Point, input.OccurrenceId, cancellationToken).ConfigureAwait(false);
        }

        var merchantId = input.MerchantId ?? data?.MerchantId;
        if (data is null || merchantId is null)
        {
            return none;
        }

        var registrations = await store.ListRegistrationsAsync(merchantId, cancellationToken).ConfigureAwait(false);
        var planned = HookPlan.For(input.Point, registrations);
        var invocations = planned.Select(h => HookService.PlanInvocation(h, input.Point, input.OccurrenceId, data, input.OccurredAt)).ToList();
        return new HookFanOutPlan(
            planned, invocations, HookPlan.EffectiveConcurrency(planned.Count, options.Value.MaxConcurrencyPerMerchant), options.Value.DefaultShopperMessage);
    }

    /// <summary>One attempt at one hook (recorded before and after; a hook that already answered is not called again).</summary>
    [Function(nameof(RunHookAttempt))]
    public Task<HookActivityResult> RunHookAttempt([ActivityTrigger] HookActivityInput input, CancellationToken cancellationToken) =>
        hooks.RunAttemptAsync(input, cancellationToken);
}
