using System.Globalization;
using Azure.Messaging;
using CartCall.Domain.Carts;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Push;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Offers;

/// <summary>The data of a <c>CartCall.OfferProposed</c> CloudEvent: everything the widget and agent need to show.</summary>
/// <param name="CartValue">The cart's value in the merchant's (shop's) currency, <paramref name="Currency"/>: what the offer was decided on.</param>
/// <param name="ShopperCurrency">
/// The currency the storefront showed the shopper prices in, when it is not the shop's (Shopify Markets); the widget
/// then words the offer in it, with <paramref name="ShopperCartValue"/>.
/// </param>
/// <param name="Price">
/// What the shopper pays for the call when the merchant charges for calls (its <c>shopperPrice</c>), set by DeliverOffer
/// from the merchant at delivery, so the widget shows the price and its terms before the shopper accepts. Null: free.
/// </param>
public sealed record OfferProposed(
    string OfferId,
    string MerchantId,
    string SessionId,
    string? ShopperId,
    DateTimeOffset ProposedAt,
    DateTimeOffset ExpiresAt,
    double Score,
    string State,
    IReadOnlyList<string> Reasons,
    decimal CartValue,
    string Currency,
    decimal ExpectedValue,
    string? ShopperCurrency = null,
    decimal? ShopperCartValue = null,
    Domain.Billing.ShopperPrice? Price = null)
{
    public const string EventType = "CartCall.OfferProposed";

    public static string Source(string merchantId) => $"/merchants/{merchantId}";

    public static string Subject(string sessionId) => $"sessions/{sessionId}";

    /// <summary>The CloudEvent for the topic: the offer id is the event id, so a repeated publish is stored once.</summary>
    public CloudEvent ToCloudEvent() =>
        new(Source(MerchantId), EventType, BinaryData.FromObjectAsJson(this, AppJson.Options), "application/json")
        {
            Id = OfferId,
            Subject = Subject(SessionId),
            Time = ProposedAt,
        };

    /// <summary>
    /// This offer worded for the shopper in the currency the storefront showed them, scaled from the cart the offer was
    /// decided on by that cart's own ratio of shown to shop money. Unchanged when the cart had one currency.
    /// </summary>
    public OfferProposed ForShopper(CartSnapshot? cart)
    {
        if (ShopperCurrency is not null || cart?.Presentment is not { } shown || cart.Total <= 0 || shown.Currency == Currency)
        {
            return this;
        }

        return this with { ShopperCurrency = shown.Currency, ShopperCartValue = decimal.Round(CartValue * (shown.Total / cart.Total), 2) };
    }
}

/// <summary>
/// Every problem with an offer as it reaches CartCall from its topic or its outbox. Internal messages are checked like
/// external input: an offer is stored under its merchant and session, and one stored without them (or under
/// another's) would break that offer for good, so such a message is refused before anything is stored.
/// </summary>
public static class OfferProposedRules
{
    public const int MaxIdLength = 128;
    public const int MaxReasons = 10;
    public const int MaxTextLength = 256;
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    /// <summary>
    /// Whether a stored offer can be found and answered at all: its id, merchant and session are there and well
    /// formed. Reads check only this, so offers stored by an older version still read; deliveries check everything.
    /// </summary>
    public static bool IsAddressable(OfferProposed? offer) =>
        offer is not null && !string.IsNullOrEmpty(offer.OfferId) && offer.OfferId.Length <= MaxIdLength && TableKeys.IsValid(offer.OfferId)
        && !string.IsNullOrEmpty(offer.MerchantId) && MerchantValidator.IdPattern().IsMatch(offer.MerchantId)
        && PushUsers.SessionIdProblem(offer.SessionId) is null && offer.Currency is not null;

    /// <summary>
    /// The problems with <paramref name="offer"/>; with <paramref name="source"/> and <paramref name="subject"/> (the
    /// CloudEvent's), also that it names the merchant and session they name, and that its id is the event's.
    /// </summary>
    public static IReadOnlyList<string> Check(OfferProposed? offer, string? eventId = null, string? source = null, string? subject = null)
    {
        var problems = new List<string>();
        if (offer is null)
        {
            problems.Add("the event has no offer data.");
            return problems;
        }

        if (string.IsNullOrEmpty(offer.OfferId) || offer.OfferId.Length > MaxIdLength || !offer.OfferId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"offerId must be 1–{MaxIdLength} letters, digits, '_' or '-'."));
        }
        else if (eventId is not null && eventId != offer.OfferId)
        {
            problems.Add($"offerId '{offer.OfferId}' is not the event's id '{eventId}'.");
        }

        if (string.IsNullOrEmpty(offer.MerchantId) || !MerchantValidator.IdPattern().IsMatch(offer.MerchantId))
        {
            problems.Add("merchantId is missing or is not a merchant id.");
        }
        else if (source is not null && source != OfferProposed.Source(offer.MerchantId))
        {
            problems.Add($"merchantId '{offer.MerchantId}' is not the merchant the event's source '{source}' names.");
        }

        if (PushUsers.SessionIdProblem(offer.SessionId) is { } sessionProblem)
        {
            problems.Add(sessionProblem);
        }
        else if (subject is not null && subject != OfferProposed.Subject(offer.SessionId))
        {
            problems.Add($"sessionId '{offer.SessionId}' is not the session the event's subject '{subject}' names.");
        }

        if (offer.ShopperId is { } shopper && (shopper.Length > MaxIdLength || !TableKeys.IsValid(shopper)))
        {
            problems.Add("shopperId is not a valid id.");
        }

        if (offer.ProposedAt == default || offer.ExpiresAt <= offer.ProposedAt || offer.ExpiresAt - offer.ProposedAt > MaxLifetime)
        {
            problems.Add("proposedAt and expiresAt must be times, expiresAt after proposedAt and at most 30 days later.");
        }

        if (!double.IsFinite(offer.Score) || offer.Score is < 0 or > 1)
        {
            problems.Add("score must be a number from 0 to 1.");
        }

        if (string.IsNullOrWhiteSpace(offer.State) || offer.State.Length > 64)
        {
            problems.Add("state is required (at most 64 characters).");
        }

        if (offer.Reasons is null || offer.Reasons.Count > MaxReasons || offer.Reasons.Any(r => r is null || r.Length > MaxTextLength))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"reasons must be a list of at most {MaxReasons} texts of at most {MaxTextLength} characters."));
        }

        if (offer.CartValue is < 0 or > 1_000_000_000_000m || Math.Abs(offer.ExpectedValue) > 1_000_000_000_000m)
        {
            problems.Add("cartValue and expectedValue are out of range.");
        }

        if (!CartEventValidator.IsCurrencyCode(offer.Currency))
        {
            problems.Add("currency must be an ISO 4217 code such as USD.");
        }

        if ((offer.ShopperCurrency is null) != (offer.ShopperCartValue is null)
            || (offer.ShopperCurrency is not null && !CartEventValidator.IsCurrencyCode(offer.ShopperCurrency))
            || offer.ShopperCartValue is < 0 or > 1_000_000_000_000m)
        {
            problems.Add("shopperCurrency and shopperCartValue go together: an ISO 4217 code and an amount.");
        }

        return problems;
    }
}
