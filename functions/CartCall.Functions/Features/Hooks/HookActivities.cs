using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Merchants;
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
public sealed class HookActivities(
    HookService hooks, TableHookStore store, IMerchantStore merchants, IEnumerable<IHookEventSource> sources, IOptions<HooksOptions> options)
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

        var registrations = store.ListRegistrationsAsync(merchantId, cancellationToken);
        var merchant = merchants.GetAsync(merchantId, cancellationToken);
        await Task.WhenAll(registrations, merchant).ConfigureAwait(false);
        var planned = HookPlan.For(input.Point, registrations.Result);
        var invocations = planned.Select(h => HookService.PlanInvocation(h, input.Point, input.OccurrenceId, data, input.OccurredAt)).ToList();
        // The merchant's own limit (its CRM's capacity), never above the app's.
        var ceiling = options.Value.MaxConcurrencyPerMerchant;
        var limit = Math.Min(merchant.Result?.HookConcurrency ?? ceiling, ceiling);
        return new HookFanOutPlan(planned, invocations, HookPlan.EffectiveConcurrency(planned.Count, limit), options.Value.DefaultShopperMessage);
    }

    /// <summary>One attempt at one hook (recorded before and after; a hook that already answered is not called again).</summary>
    [Function(nameof(RunHookAttempt))]
    public Task<HookActivityResult> RunHookAttempt([ActivityTrigger] HookActivityInput input, CancellationToken cancellationToken) =>
        hooks.RunAttemptAsync(input, cancellationToken);
}
