using System.Text.RegularExpressions;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Browser.Tests.Calling;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Widget;

/// <summary>
/// The widget's words and feedback, on a page of the stub app (offers worded by the app's own OfferTexts): one
/// language for everything on screen, money in the shopper's format, and an immediate answer to "Call me now".
/// </summary>
[Collection(CallingCollection.Name)]
public sealed partial class WidgetWordsTests(CallingRig rig)
{
    [Fact]
    public async Task GermanOfferOnAnEnglishPage_HeadingRadiosAndButtonsAreAllGerman_AndTheAmountIsFormattedForGerman()
    {
        var shots = new StepShots();
        rig.App.OfferLanguage = "de"; // the shopper's saved choice, which the app applies to the offer
        try
        {
            var page = await CallingRig.NewPageAsync(rig.ShopperBrowser);
            await page.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
            var offer = page.GetByRole(AriaRole.Dialog, new() { Name = "Fragen zu Ihrer Bestellung?" });
            await Expect(offer).ToBeVisibleAsync();
            await Expect(offer).ToContainTextAsync(GermanDollars());
            await shots.TakeAsync(page, "offer-de");
            await offer.GetByRole(AriaRole.Button, new() { Name = "Rufen Sie mich an" }).ClickAsync();

            var choice = page.GetByRole(AriaRole.Dialog, new() { Name = "Wie sollen wir Sie anrufen?" });
            await Expect(choice).ToBeVisibleAsync();
            await Expect(choice.GetByLabel("Im Browser anrufen")).ToBeVisibleAsync();
            await Expect(choice.GetByText("Ihr Browser fragt nach Ihrem Mikrofon.", new() { Exact = false })).ToBeVisibleAsync();
            await choice.GetByLabel("Mein Telefon anrufen").CheckAsync();
            await Expect(choice.GetByLabel("Telefonnummer")).ToBeVisibleAsync();
            await Expect(choice.GetByRole(AriaRole.Button, new() { Name = "Anrufen" })).ToBeVisibleAsync();
            await Expect(choice.GetByRole(AriaRole.Button, new() { Name = "Jetzt nicht" })).ToBeVisibleAsync();
            await Expect(choice).ToContainTextAsync(GermanDollars());
            await Expect(choice).Not.ToContainTextAsync("USD");
            await shots.TakeAsync(page, "choice-de");
            await page.Context.CloseAsync();
        }
        finally
        {
            rig.App.OfferLanguage = "en";
        }
    }

    [Fact]
    public async Task CallMeNow_ShowsItWasPressedBeforeTheAppAnswers()
    {
        var shots = new StepShots();
        rig.App.AcceptDelay = TimeSpan.FromSeconds(2);
        try
        {
            var page = await CallingRig.NewPageAsync(rig.ShopperBrowser);
            await page.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync("$478.00");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
            await dialog.GetByLabel("Call my phone").CheckAsync();
            await dialog.GetByLabel("Phone number").FillAsync("+12015550123");
            await dialog.GetByLabel("I agree that this store may call this number", new() { Exact = false }).CheckAsync();

            var accepting = page.WaitForRequestAsync(r => r.Url.Contains("/accept", StringComparison.Ordinal));
            var answered = page.WaitForResponseAsync(r => r.Url.Contains("/accept", StringComparison.Ordinal));
            var go = dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" });
            await go.ClickAsync();
            await accepting;
            // The accept is still on its way (the stub holds it): the press is already acknowledged.
            await Expect(go).ToHaveAttributeAsync("aria-disabled", "true");
            await Expect(dialog.Locator("form")).ToHaveAttributeAsync("aria-busy", "true");
            await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("One moment…");
            Assert.False(answered.IsCompleted, "the accept answered before the feedback was checked; the check proves nothing");
            await shots.TakeAsync(page, "pressed");
            await answered;
            await Expect(dialog.GetByRole(AriaRole.Status)).ToHaveTextAsync("Setting up your call…");
            await page.Context.CloseAsync();
        }
        finally
        {
            rig.App.AcceptDelay = TimeSpan.Zero;
        }
    }

    // "478,00 $" with the narrow or plain no-break space Intl puts before the sign.
    [GeneratedRegex(@"478,00\s\$")]
    private static partial Regex GermanDollars();
}
