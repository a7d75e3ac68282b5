namespace CartCall.Functions.Features.Offers;

/// <summary>Told once when an offer is first stored for delivery, e.g. to push it to the shopper's browser.</summary>
public interface IOfferNotifier
{
    Task OfferStoredAsync(OfferRecord offer, CancellationToken cancellationToken);
}
