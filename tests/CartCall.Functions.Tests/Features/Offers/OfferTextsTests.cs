using CartCall.Functions.Features.Offers;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>The offer's words: one language for all of them, said in the text itself, and a slot for the amount.</summary>
public sealed class OfferTextsTests
{
    [Theory]
    [InlineData("de", "de", "Fragen zu Ihrer Bestellung?", "478,00 USD")]
    [InlineData("fr", "fr", "Des questions sur votre commande ?", "USD")]
    [InlineData("es", "es", "¿Tiene preguntas sobre su pedido?", "478,00 USD")]
    [InlineData("en", "en", "Questions about your order?", "478.00 USD")]
    [InlineData("pt", "en", "Questions about your order?", "478.00 USD")]
    [InlineData(null, "en", "Questions about your order?", "478.00 USD")]
    public void For_NamesTheLanguageItIsIn_AndGivesTheBodyWithTheAmountAndAsATemplate(string? asked, string language, string title, string amountText)
    {
        var text = OfferTexts.For(asked, 478m, "USD");

        Assert.Equal(language, text.Language);
        Assert.Equal(title, text.Title);
        Assert.Contains(amountText, text.Body, StringComparison.Ordinal);
        Assert.Contains("{amount}", text.BodyTemplate, StringComparison.Ordinal);
        Assert.DoesNotContain("478", text.BodyTemplate, StringComparison.Ordinal);
        // The template is the body with the amount taken out: the same sentence, nothing else changed.
        var amount = text.Body.Substring(text.BodyTemplate.IndexOf("{amount}", StringComparison.Ordinal), text.Body.Length - text.BodyTemplate.Length + "{amount}".Length);
        Assert.Equal(text.Body, text.BodyTemplate.Replace("{amount}", amount, StringComparison.Ordinal));
    }
}
