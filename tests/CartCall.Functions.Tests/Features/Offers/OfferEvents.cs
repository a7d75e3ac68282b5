using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>OfferProposed CloudEvents as the Event Grid topic delivers them, to be bent by tests.</summary>
internal static class OfferEvents
{
    public static JsonObject Event(this OfferProposed offer, string? id = null, string? source = null, string? subject = null) => new()
    {
        ["specversion"] = "1.0",
        ["id"] = id ?? offer.OfferId,
        ["source"] = source ?? OfferProposed.Source(offer.MerchantId),
        ["type"] = OfferProposed.EventType,
        ["subject"] = subject ?? OfferProposed.Subject(offer.SessionId),
        ["time"] = offer.ProposedAt.ToString("O"),
        ["datacontenttype"] = "application/json",
        ["data"] = JsonSerializer.SerializeToNode(offer, AppJson.Options),
    };

    public static OfferProposed Offer(string merchantId, string sessionId, decimal cartValue = 240m, string currency = "USD", string? offerId = null)
    {
        var now = DateTimeOffset.UtcNow;
        return new OfferProposed(offerId ?? "of_" + Guid.NewGuid().ToString("N")[..24], merchantId, sessionId, null, now, now.AddMinutes(10),
            0.82, "checkout_stalled", ["Long time on the shipping page"], cartValue, currency, 40m);
    }
}
