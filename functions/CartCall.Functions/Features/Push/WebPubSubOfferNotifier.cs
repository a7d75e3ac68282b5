using System.Text.Json;
using Azure;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Push;

/// <summary>The push message that carries an offer: <c>{ "kind": "offer", "offer": OfferView }</c>.</summary>
public sealed record OfferPush(OfferView Offer)
{
    public string Kind => "offer";
}

/// <summary>
/// Pushes a newly stored offer to the shopper's browser (Web PubSub user <c>{merchantId}:{sessionId}</c>), worded
/// in the language the widget negotiated with. A failed push is logged, never thrown: the offer is stored, and the
/// widget catches up through ListSessionOffers when its socket comes back.
/// </summary>
public sealed partial class WebPubSubOfferNotifier(
    WebPubSubRestClient client, TableWidgetSessionStore widgetSessions, ILogger<WebPubSubOfferNotifier> logger) : IOfferNotifier
{
    public async Task OfferStoredAsync(OfferRecord offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var o = offer.Offer;
        var user = PushUsers.For(o.MerchantId, o.SessionId);
        try
        {
            var language = await widgetSessions.GetLanguageAsync(o.MerchantId, o.SessionId, cancellationToken).ConfigureAwait(false);
            var message = BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(new OfferPush(OfferView.From(offer, language ?? "en")), AppJson.Options));
            await client.SendToUserAsync(user, message, cancellationToken).ConfigureAwait(false);
            LogPushed(o.OfferId, user);
        }
        catch (Exception e) when (DependencyFailures.IsTransient(e, cancellationToken) || DependencyFailures.IsConfiguration(e))
        {
            // A refused push (a key or clock problem) is logged as loudly, but it too must not undo the stored offer.
            LogPushFailed(e, o.OfferId, user);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offer {OfferId} pushed to {UserId}")]
    private partial void LogPushed(string offerId, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offer {OfferId} could not be pushed to {UserId}; the widget will catch up")]
    private partial void LogPushFailed(Exception e, string offerId, string userId);
}
