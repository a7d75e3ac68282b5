using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Browser.Tests.Calling;
using CartCall.LocalCloud.Storefront;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Storefront;

/// <summary>
/// The demo store's layout at a phone's width, through every page a shopper walks: nothing overflows sideways (which
/// cut the widget off), no request fails (the favicon was a 404 on every page), and the shipping radios line up with
/// their labels. The store runs on its own here; its cart events go to the stub app, which need not take them.
/// </summary>
[Collection(CallingCollection.Name)]
public sealed partial class DemoStorefrontLayoutTests(CallingRig rig)
{
    [Fact]
    public async Task EveryPage_At390Px_HasNoSidewaysOverflow_NoFailedRequest_AndShippingRadiosAlignWithTheirLabels()
    {
        var shots = new StepShots();
        try
        {
            await WalkTheStoreAsync(shots);
        }
        finally
        {
            rig.App.MakeOffers = true;
        }
    }

    private async Task WalkTheStoreAsync(StepShots shots)
    {
        await using var store = await DemoStorefront.StartAsync(new DemoStorefrontOptions
        {
            AppBaseUrl = rig.App.Url,
            MerchantId = StubCartCallApp.MerchantId,
            SigningSecret = "whsec_layout_0123456789abcdef",
            PublishableKey = StubCartCallApp.PublishableKey,
        }, CancellationToken.None);
        // No offer while the test types: an offer takes focus. One comes at the end, to see the widget fits too.
        rig.App.MakeOffers = false;
        var page = await CallingRig.NewPageAsync(rig.ShopperBrowser, 390, 844);
        var failed = new ConcurrentQueue<string>();
        page.Response += (_, r) => { if (r.Status >= 400 && !r.Url.StartsWith(rig.App.Url.AbsoluteUri, StringComparison.Ordinal)) failed.Enqueue($"{r.Status} {r.Url}"); };
        page.RequestFailed += (_, r) => { if (!r.Url.StartsWith(rig.App.Url.AbsoluteUri, StringComparison.Ordinal)) failed.Enqueue($"failed {r.Url}"); };

        await page.GotoAsync(store.Url.AbsoluteUri);
        await AssertFitsAsync(page, "products");
        await shots.TakeAsync(page, "products");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Barista Pro espresso machine to cart" }).ClickAsync();
        await Expect(page.Locator("#cart-count")).ToHaveTextAsync("1");
        await page.GotoAsync(new Uri(store.Url, "cart").AbsoluteUri);
        await AssertFitsAsync(page, "cart");
        await shots.TakeAsync(page, "cart");
        await page.GotoAsync(new Uri(store.Url, "checkout").AbsoluteUri);
        await AssertFitsAsync(page, "checkout");
        await DemoStorefrontTests.FillDetailsAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue to shipping" }).ClickAsync();
        // The URL polled (a navigation waiter registered after a quick navigation can miss it).
        await Expect(page).ToHaveURLAsync(ShippingUrl(), new() { Timeout = 20_000 });
        await Expect(page.GetByRole(AriaRole.Radio).First).ToBeVisibleAsync();
        await AssertFitsAsync(page, "shipping");
        await shots.TakeAsync(page, "shipping");

        // Each radio's middle is level with the middle of its label's first line of text.
        var offsets = await page.EvaluateAsync<double[]>("""
            () => [...document.querySelectorAll('#shipping-options label')].map((label) => {
              const radio = label.querySelector('input').getBoundingClientRect();
              const range = document.createRange();
              const text = [...label.childNodes].find((n) => n.nodeType === 3 || n.tagName === 'SPAN');
              range.selectNodeContents(text);
              const line = range.getClientRects()[0];
              return Math.abs((radio.top + radio.height / 2) - (line.top + line.height / 2));
            })
            """);
        Assert.NotEmpty(offsets);
        Assert.All(offsets, o => Assert.True(o <= 3, $"a shipping radio sits {o:0.#} px off its label's text"));

        await page.GotoAsync(new Uri(store.Url, "checkout/payment").AbsoluteUri);
        await AssertFitsAsync(page, "payment");
        await shots.TakeAsync(page, "payment");

        // The page names its icon, and the icon is there (else browsers ask for /favicon.ico and get a 404).
        var icon = await page.EvaluateAsync<int>("() => { const l = document.querySelector('link[rel=icon]'); return l ? fetch(l.href).then((r) => r.status) : 0; }");
        Assert.Equal(200, icon);

        rig.App.MakeOffers = true;
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync();
        await AssertFitsAsync(page, "payment with the offer");
        var box = await page.GetByRole(AriaRole.Dialog).BoundingBoxAsync();
        Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 390, $"the widget's dialog is cut off: {box?.X} + {box?.Width}");
        await shots.TakeAsync(page, "payment-with-offer");
        Assert.Empty(failed);
        await page.Context.CloseAsync();
    }

    private static async Task AssertFitsAsync(IPage page, string name)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, innerWidth]");
        var (scroll, inner) = (widths[0], widths[1]);
        Assert.True(scroll <= inner, $"{name}: the page is {scroll} px wide in a {inner} px viewport");
    }

    [GeneratedRegex("/checkout/shipping$")]
    private static partial Regex ShippingUrl();
}
