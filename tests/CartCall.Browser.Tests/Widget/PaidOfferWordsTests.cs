using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Browser.Tests.Calling;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Widget;

/// <summary>
/// A paid offer's price and terms in the widget's words, in each of its languages, with money in that language's
/// format from the price's minor units (Intl.NumberFormat), on the offer and again beside "Call me now".
/// </summary>
[Collection(CallingCollection.Name)]
public sealed class PaidOfferWordsTests(CallingRig rig)
{
    public static TheoryData<string, string, string, string> Languages() => new()
    {
        { "en", "Questions about your order?", @"This call costs \$1\.50 per minute, at most \$15\.00\.", @"When you accept, \$15\.00 is held on your card\..*Calls under 10 seconds are free\." },
        { "de", "Fragen zu Ihrer Bestellung?", @"Dieser Anruf kostet 1,50\s\$ pro Minute, höchstens 15,00\s\$\.", @"werden 15,00\s\$ auf Ihrer Karte vorgemerkt\..*Anrufe unter 10 Sekunden sind kostenlos\." },
        { "fr", "Des questions sur votre commande ?", @"Cet appel coûte 1,50\s\$\s?US par minute, 15,00\s\$\s?US au maximum\.", @"15,00\s\$\s?US sont réservés sur votre carte\..*Les appels de moins de 10 secondes sont gratuits\." },
        { "es", "¿Tiene preguntas sobre su pedido?", @"Esta llamada cuesta 1,50\sUS\$ por minuto, como máximo 15,00\sUS\$\.", @"se retienen 15,00\sUS\$ en tu tarjeta\..*Las llamadas de menos de 10 segundos son gratis\." },
    };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task PaidOffer_ShowsPriceAndTerms_InTheOffersLanguage_BeforeAccept(string language, string title, string price, string terms)
    {
        var shots = new StepShots();
        rig.App.OfferLanguage = language;
        rig.App.OfferPrice = new JsonObject { ["kind"] = "per_minute", ["currency"] = "USD", ["amountMinor"] = 150, ["capMinor"] = 1500, ["minimumSeconds"] = 10 };
        try
        {
            var page = await CallingRig.NewPageAsync(rig.ShopperBrowser);
            await page.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
            var offer = page.GetByRole(AriaRole.Dialog, new() { Name = title });
            await Expect(offer).ToBeVisibleAsync();
            await Expect(offer).ToContainTextAsync(new Regex(price));
            await Expect(offer).ToContainTextAsync(new Regex(terms));
            // Described by the offer's sentence and the price, so a screen reader says the price with the offer.
            await Expect(offer).ToHaveAttributeAsync("aria-describedby", "cc-d cc-pr");
            await shots.TakeAsync(page, "offer-" + language);

            await offer.GetByRole(AriaRole.Button).First.ClickAsync();
            var choice = page.GetByRole(AriaRole.Dialog);
            await Expect(choice.Locator("form")).ToBeVisibleAsync();
            await Expect(choice).ToContainTextAsync(new Regex(price));
            await shots.TakeAsync(page, "choice-" + language);
            await page.Context.CloseAsync();
        }
        finally
        {
            rig.App.OfferLanguage = "en";
            rig.App.OfferPrice = null;
        }
    }

    [Fact]
    public async Task FlatPrice_InACurrencyWithoutMinorUnits_IsShownWhole()
    {
        rig.App.OfferPrice = new JsonObject { ["kind"] = "flat", ["currency"] = "JPY", ["amountMinor"] = 500, ["minimumSeconds"] = 0 };
        try
        {
            var page = await CallingRig.NewPageAsync(rig.ShopperBrowser);
            await page.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
            var offer = page.GetByRole(AriaRole.Dialog);
            // JPY has no minor unit: 500 minor units are ¥500, not ¥5.00; and no "free" sentence without a minimum.
            await Expect(offer).ToContainTextAsync("This call costs ¥500.");
            await Expect(offer).ToContainTextAsync("When you accept, ¥500 is held on your card.");
            await Expect(offer).Not.ToContainTextAsync("are free");
            await page.Context.CloseAsync();
        }
        finally
        {
            rig.App.OfferPrice = null;
        }
    }
}
