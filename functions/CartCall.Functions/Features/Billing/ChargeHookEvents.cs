using CartCall.Domain.Billing;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Hooks;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// The event <c>charge.captured</c>'s hooks receive, keyed by the call id: the call (as its other hooks see it) and the
/// charge: the amount captured from the shopper's hold, its currency, and the payment provider's id of the payment
/// (Stripe's PaymentIntent). Built when the fan-out plans, after the call's settlement: a call whose hold was
/// released, or that had none, has no charge, and its <c>charge.captured</c> hooks are not run.
/// </summary>
public sealed class ChargeHookEvents(IShopperHoldStore holds, TableCallStore calls) : IHookEventSource
{
    public bool Builds(string point) => point == HookPoints.ChargeCaptured;

    public async Task<HookEventData?> BuildAsync(string point, string occurrenceId, CancellationToken cancellationToken)
    {
        var hold = await holds.GetAsync(occurrenceId, cancellationToken).ConfigureAwait(false);
        if (hold is not { Status: HoldStatus.Captured, CapturedMinor: > 0 })
        {
            return null;
        }

        var call = await calls.GetAsync(occurrenceId, cancellationToken).ConfigureAwait(false);
        return call is null ? null : From(point, call, hold);
    }

    public static HookEventData From(string point, CallRecord call, ShopperHold hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        var captured = new Money(hold.CapturedMinor ?? 0, Currency.Of(hold.Currency));
        return CallHookEvents.From(point, call, null) with
        {
            Charge = new HookCharge(hold.PaymentId, captured.ToMajor(), hold.Currency, captured.Minor),
        };
    }
}
