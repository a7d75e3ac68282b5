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
