using System.Globalization;

namespace CartCall.Functions.Features.Offers;

/// <summary>
/// An offer as the widget shows it, in the shopper's language and the currency the storefront showed them prices in.
/// Pushed as <c>{ kind: "offer", offer }</c> and listed for catch-up. <paramref name="Price"/> is set for a paid call:
/// the widget shows it, with its terms, before the shopper can accept.
/// </summary>
public sealed record OfferView(
    string OfferId,
    string MerchantId,
    string SessionId,
    DateTimeOffset ProposedAt,
    DateTimeOffset ExpiresAt,
    OfferStatus Status,
    double Score,
    IReadOnlyList<string> Reasons,
    decimal CartValue,
    string Currency,
    OfferText Text,
    Domain.Billing.ShopperPrice? Price = null)
{
    public static OfferView From(OfferRecord record, string language)
    {
        ArgumentNullException.ThrowIfNull(record);
        var o = record.Offer;
        // The shopper sees the cart in the currency the storefront showed it in; the offer was decided in the shop's.
        var (value, currency) = o.ShopperCurrency is { } shown && o.ShopperCartValue is { } shownValue ? (shownValue, shown) : (o.CartValue, o.Currency);
        return new OfferView(o.OfferId, o.MerchantId, o.SessionId, o.ProposedAt, o.ExpiresAt, record.Status, o.Score, o.Reasons ?? [],
            value, currency, OfferTexts.For(language, value, currency), o.Price);
    }
}

/// <summary>
/// The words of an offer: heading, sentence, and the two buttons, all in <paramref name="Language"/> (the widget shows
/// its own words in the same language). <paramref name="BodyTemplate"/> is the sentence with <c>{amount}</c> where the
/// cart value goes, for clients that format money in the shopper's locale (the widget uses <c>Intl.NumberFormat</c>:
/// "$478.00"); <paramref name="Body"/> is the same sentence with the amount and its ISO code, for everyone else.
/// </summary>
public sealed record OfferText(string Title, string Body, string Accept, string Dismiss, string Language, string BodyTemplate);

/// <summary>Offer wording per language (en, de, fr, es); anything else gets English.</summary>
public static class OfferTexts
{
    private sealed record Template(string Culture, string Title, string Body, string Accept, string Dismiss);

    private static readonly Dictionary<string, Template> Templates = new(StringComparer.Ordinal)
    {
        ["en"] = new("en-US", "Questions about your order?", "Your cart of {0} is saved. One of our experts can call you now, in your browser or on your phone.", "Call me", "No thanks"),
        ["de"] = new("de-DE", "Fragen zu Ihrer Bestellung?", "Ihr Warenkorb über {0} ist gespeichert. Eine Fachberaterin oder ein Fachberater kann Sie jetzt anrufen – im Browser oder auf Ihrem Telefon.", "Rufen Sie mich an", "Nein, danke"),
        ["fr"] = new("fr-FR", "Des questions sur votre commande ?", "Votre panier de {0} est enregistré. Un de nos conseillers peut vous appeler maintenant, dans votre navigateur ou sur votre téléphone.", "Appelez-moi", "Non merci"),
        ["es"] = new("es-ES", "¿Tiene preguntas sobre su pedido?", "Su carrito de {0} está guardado. Uno de nuestros expertos puede llamarle ahora, en su navegador o en su teléfono.", "Llámenme", "No, gracias"),
    };

    public static IReadOnlyCollection<string> Languages => Templates.Keys;

    public static OfferText For(string? language, decimal cartValue, string currency)
    {
        var key = language is not null && Templates.ContainsKey(language) ? language : "en";
        var t = Templates[key];
        return new OfferText(
            t.Title, string.Format(CultureInfo.InvariantCulture, t.Body, Money(cartValue, currency, t.Culture)), t.Accept, t.Dismiss,
            key, string.Format(CultureInfo.InvariantCulture, t.Body, "{amount}"));
    }

    // The amount in the language's number format with the ISO code, which is unambiguous whatever the currency.
    private static string Money(decimal amount, string currency, string culture) =>
        amount.ToString("N2", CultureInfo.GetCultureInfo(culture)) + " " + currency;
}
