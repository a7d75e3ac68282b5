using System.Text.Json;
using System.Text.RegularExpressions;
using CartCall.Browser.Tests.BrowserSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Widget;

/// <summary>How the widget reaches the app: browser events through <c>CartCall.track</c>, and offers by polling when the socket is down.</summary>
[Collection(LoopCollection.Name)]
public sealed partial class WidgetTransportTests(CartCallLoop loop)
{
    [Fact]
    public async Task Track_PostsABrowserEventWithThePublishableKey_AndTheAppScoresIt()
    {
        await using var shopper = await ShopperPage.OpenAsync(loop);
        var page = shopper.Page;
        await page.GotoAsync(loop.Store.Url.AbsoluteUri);
        await shopper.WidgetReadyAsync();
        var sent = page.WaitForRequestAsync(r => r.Url.EndsWith("/browser-events", StringComparison.Ordinal) && r.Method == "POST");

        var answer = await page.EvaluateAsync<JsonElement>("""
            () => window.CartCall.track('coupon_rejected', {
              currency: 'USD', items: [{ sku: 'KET-GOO', title: 'Gooseneck kettle', quantity: 2, unitPrice: 59, unitCost: 31 }]
            })
            """);

        var request = await sent;
        Assert.Equal(loop.PublishableKey, await request.HeaderValueAsync("x-cartcall-publishable-key"));
        var body = request.PostDataJSON()!.Value;
        Assert.Equal(await shopper.SessionIdAsync(), body.GetProperty("sessionId").GetString());
        Assert.Equal(page.Url, body.GetProperty("pageUrl").GetString());
        Assert.Equal(body.GetProperty("eventId").GetString(), answer.GetProperty("eventId").GetString());
        Assert.False(answer.GetProperty("duplicate").GetBoolean());
        var decisions = await shopper.DecisionsAsync();
        Assert.Contains(decisions, d => d.Trigger == "coupon_rejected" && d.EventId == answer.GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task PushSocketDown_TheOfferStillArrivesThroughCatchUpPolling()
    {
        var shots = new StepShots();
        await using var shopper = await ShopperPage.OpenAsync(loop);
        var page = shopper.Page;
        var attempts = 0;
        // Web PubSub unreachable from this page: every socket the widget opens is closed at once, as a dropped
        // network would. The app itself is untouched; only the browser's path to the push service is cut.
        await page.RouteWebSocketAsync(ClientHub(), ws =>
        {
            Interlocked.Increment(ref attempts);
            _ = ws.CloseAsync(new() { Code = 1011, Reason = "test: push unreachable" });
        });

        await shopper.BuildCartAndEnterCheckoutAsync();
        var offerId = await shopper.WaitForOfferAsync(45_000);
        await shots.TakeAsync(page, "offer-by-polling");

        var shown = (await shopper.WidgetEventsAsync("offer-shown")).Single();
        Assert.Equal("poll", shown.GetProperty("via").GetString());
        Assert.Equal(offerId, shown.GetProperty("offerId").GetString());
        Assert.True(attempts >= 1, "the widget never tried the socket");
        await Expect(shopper.Dialog).ToContainTextAsync("Questions about your order?");
    }

    [GeneratedRegex("/client/hubs/")]
    private static partial Regex ClientHub();
}

/// <summary>How the widget presents itself, checked on the page without waiting for an offer.</summary>
[Collection(LoopCollection.Name)]
public sealed class WidgetPresentationTests(CartCallLoop loop)
{
    private const string PanelAnimation = "() => getComputedStyle(document.getElementById('cartcall-widget').shadowRoot.querySelector('[role=dialog]')).animationName";

    [Theory]
    [InlineData("reduce", "none")]
    [InlineData("no-preference", "in")]
    public async Task Dialog_AnimatesOnlyWhenTheShopperAllowsMotion(string preference, string expectedAnimation)
    {
        await using var shopper = await ShopperPage.OpenAsync(loop);
        await shopper.Page.EmulateMediaAsync(new() { ReducedMotion = preference == "reduce" ? ReducedMotion.Reduce : ReducedMotion.NoPreference });
        await shopper.Page.GotoAsync(loop.Store.Url.AbsoluteUri);
        await shopper.WidgetReadyAsync();

        Assert.Equal(expectedAnimation, await shopper.Page.EvaluateAsync<string>(PanelAnimation));
    }

    [Fact]
    public async Task Widget_DrawsInsideItsOwnShadowRoot_SoTheStoresStylesDoNotReachIt()
    {
        await using var shopper = await ShopperPage.OpenAsync(loop);
        await shopper.Page.GotoAsync(loop.Store.Url.AbsoluteUri);
        await shopper.WidgetReadyAsync();

        // The store styles every button in serif Georgia; the widget's own buttons must not inherit that.
        var font = await shopper.Page.EvaluateAsync<string>("""
            () => {
              const root = document.getElementById('cartcall-widget').shadowRoot;
              const b = document.createElement('button');
              root.querySelector('[role=dialog]').append(b);
              root.querySelector('[role=dialog]').hidden = false;
              const f = getComputedStyle(b).fontFamily;
              b.remove();
              root.querySelector('[role=dialog]').hidden = true;
              return f;
            }
            """);
        Assert.Equal(0, await shopper.Page.Locator("body > button, body > [role=dialog]").CountAsync());
        Assert.DoesNotContain("Georgia", font, StringComparison.Ordinal);
        Assert.Contains("system-ui", font, StringComparison.Ordinal);
    }
}
