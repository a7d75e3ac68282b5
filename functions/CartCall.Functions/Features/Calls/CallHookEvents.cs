using CartCall.Domain.Hooks;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Offers;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// The event a call's hooks receive, built from the call record and its offer when the fan-out runs (so the call
/// orchestration carries only the call id). <c>offer.accepted</c> is keyed by the offer id, whose call id derives from it.
/// </summary>
public sealed class CallHookEvents(TableCallStore calls, TableOfferStore offers) : IHookEventSource
{
    public bool Builds(string point) =>
        point is HookPoints.OfferAccepted or HookPoints.CallBeforeDial or HookPoints.CallConnected or HookPoints.CallEnded;

    public async Task<HookEventData?> BuildAsync(string point, string occurrenceId, CancellationToken cancellationToken)
    {
        var callId = point == HookPoints.OfferAccepted ? CallIds.ForOffer(occurrenceId) : occurrenceId;
        if (await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false) is not { } call)
        {
            return null;
        }

        var offer = string.IsNullOrEmpty(call.OfferId) ? null : await offers.GetAsync(call.OfferId, cancellationToken).ConfigureAwait(false);
        return From(point, call, offer?.Offer);
    }

    public static HookEventData From(string point, CallRecord call, OfferProposed? offer)
    {
        ArgumentNullException.ThrowIfNull(call);
        return new HookEventData
        {
            Point = point,
            MerchantId = call.MerchantId,
            SessionId = call.SessionId,
            ShopperId = offer?.ShopperId,
            Cart = call.Cart is { } cart
                ? new HookCart(cart.Currency, cart.Value, [.. cart.Items.Select(i => new HookCartItem(i.Sku, i.Title, i.Quantity, i.UnitPrice))])
                : null,
            Score = call.Cart is { } scored ? new HookScore(scored.Score, scored.State, scored.Reasons)
                : offer is not null ? new HookScore(offer.Score, offer.State, offer.Reasons)
                : null,
            Offer = offer is null ? null : new HookOffer(offer.OfferId, offer.ProposedAt, offer.ExpiresAt, offer.ExpectedValue),
            Call = new HookCall(
                call.CallId, call.Mode == CallMode.Phone ? "pstn" : "voip", call.Status.ToString().ToLowerInvariant(),
                call.ConnectedAt, call.EndedAt, call.Outcome, call.AgentId, call.DurationSeconds),
        };
    }
}
