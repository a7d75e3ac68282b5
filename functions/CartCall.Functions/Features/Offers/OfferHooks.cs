using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Sessions;
using Microsoft.DurableTask.Client;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// Starts the merchant's <c>offer.proposed</c> hooks for a delivered offer: a fan-out orchestration of its own under
/// the offer's fan-out id (<c>hooks-offer.proposed-{offerId}</c>), which Durable refuses to start twice. DeliverOffer
/// starts it for a repeated delivery too (Event Grid delivers at least once): a delivery that stored the offer and died
/// before starting the hooks is followed by a repeat, which must start them; one that did start them starts nothing.
/// Only offers of the treatment arm exist: a holdout (control) decision publishes no offer, so it reaches no hook and
/// the control group stays untouched by anything the merchant's programs might do.
/// </summary>
public sealed class OfferProposedHooks(TableHookStore hooks)
{
    /// <returns>True when this call started the offer's hooks; false when it has none or they were started before.</returns>
    public async Task<bool> StartAsync(DurableTaskClient client, OfferProposed offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);

        // One small Table query per delivered offer; a merchant without such hooks costs no orchestration.
        var registrations = await hooks.ListRegistrationsAsync(offer.MerchantId, cancellationToken).ConfigureAwait(false);
        if (!registrations.Any(r => r.ListensTo(HookPoints.OfferProposed)))
        {
            return false;
        }

        // The event is built from the stored offer in the fan-out's planning activity (OfferHookEvents), so the
        // orchestration's input stays small and the delivery answers Event Grid without reading the session.
        var input = new HookFanOutInput(HookPoints.OfferProposed, offer.OfferId, offer.MerchantId, null, offer.ProposedAt);
        return await HookFanOutOrchestrator.StartOnceAsync(client, input, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The event <c>offer.proposed</c>'s hooks receive: the stored offer and its session's cart.</summary>
public sealed class OfferHookEvents(TableOfferStore offers, ISessionStore sessions) : IHookEventSource
{
    public bool Builds(string point) => point == HookPoints.OfferProposed;

    public async Task<HookEventData?> BuildAsync(string point, string occurrenceId, CancellationToken cancellationToken)
    {
        if (await offers.GetAsync(occurrenceId, cancellationToken).ConfigureAwait(false) is not { Offer: { } offer })
        {
            return null;
        }

        var session = await sessions.GetAsync(offer.MerchantId, offer.SessionId, cancellationToken).ConfigureAwait(false);
        return From(point, offer, session?.Session.LatestCart);
    }

    public static HookEventData From(string point, OfferProposed offer, Domain.Carts.CartSnapshot? cart)
    {
        ArgumentNullException.ThrowIfNull(offer);

        // The items only when the session's cart is in the offer's currency: the value stays the one decided on.
        var items = cart is not null && cart.Currency == offer.Currency
            ? cart.Items.Select(i => new HookCartItem(i.Sku, i.Title, i.Quantity, i.UnitPrice)).ToList()
            : [];
        return new HookEventData
        {
            Point = point,
            MerchantId = offer.MerchantId,
            SessionId = offer.SessionId,
            ShopperId = offer.ShopperId,
            Cart = new HookCart(offer.Currency, offer.CartValue, items),
            Score = new HookScore(offer.Score, offer.State, offer.Reasons),
            Offer = new HookOffer(offer.OfferId, offer.ProposedAt, offer.ExpiresAt, offer.ExpectedValue),
        };
    }
}
