using CartCall.Browser.Tests.BrowserSupport;
using CartCall.LocalCloud.Stripe;
using Microsoft.Playwright;
using Stripe;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Payments;

/// <summary>The Stripe stand-in's Payment Element page in real Chromium: the shopper picks a test card and authorises.</summary>
public sealed class StripePaymentElementPageTests
{
    private static async Task<(StripeStandIn StandIn, PaymentIntent Intent)> HoldAsync()
    {
        var standIn = await StripeStandIn.StartAsync(new StripeStandInOptions(), CancellationToken.None);
        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = standIn.SecretKey,
            ApiBase = standIn.BaseAddress.AbsoluteUri.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(new HttpClient(new SocketsHttpHandler { UseProxy = false }), maxNetworkRetries: 0),
        });
        var intent = await client.V1.PaymentIntents.CreateAsync(new PaymentIntentCreateOptions
        {
            Amount = 1500, Currency = "eur", CaptureMethod = "manual", AllowedPaymentMethodTypes = ["card"],
        });
        return (standIn, intent);
    }

    [Fact]
    public async Task TheShopper_SeesTheAmount_PicksATestCard_AndTheHoldIsPlaced()
    {
        var (standIn, intent) = await HoldAsync();
        await using var _ = standIn;
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var __ = playwright;
        await using var ___ = browser;
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { Locale = "en-US" });
        var shots = new StepShots();

        await page.GotoAsync(standIn.PaymentElementUrl(intent.ClientSecret).AbsoluteUri);
        await Expect(page.GetByTestId("amount")).ToHaveTextAsync("€15.00");
        await page.GetByTestId("card").SelectOptionAsync("pm_card_visa");
        await shots.TakeAsync(page, "card-picked");
        await page.GetByTestId("pay").ClickAsync();

        await Expect(page.GetByTestId("message")).ToContainTextAsync("Authorized");
        await shots.TakeAsync(page, "authorized");
        var held = standIn.PaymentIntents.Single();
        Assert.Equal("requires_capture", held["status"]!.GetValue<string>());
        Assert.Equal(1500, held["amount_capturable"]!.GetValue<long>());
    }

    [Fact]
    public async Task ADecliningTestCard_ShowsStripesMessage_AndAnotherCardCanThenBeUsed()
    {
        var (standIn, intent) = await HoldAsync();
        await using var _ = standIn;
        var (playwright, browser) = await Chromium.LaunchAsync();
        using var __ = playwright;
        await using var ___ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(standIn.PaymentElementUrl(intent.ClientSecret, new Uri("http://127.0.0.1:9/return")).AbsoluteUri);
        await page.GetByTestId("card").SelectOptionAsync("pm_card_chargeDeclinedInsufficientFunds");
        // The return URL is the storefront's; here Playwright answers it so the test stays on loopback.
        await page.RouteAsync("http://127.0.0.1:9/**", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, Body = "returned" }));
        await page.GetByTestId("pay").ClickAsync();

        await page.WaitForURLAsync(url => url.StartsWith("http://127.0.0.1:9/return", StringComparison.Ordinal));
        Assert.Contains("redirect_status=failed", page.Url, StringComparison.Ordinal);
        Assert.Contains("payment_intent=" + intent.Id, page.Url, StringComparison.Ordinal);
        Assert.Equal("requires_payment_method", standIn.PaymentIntents.Single()["status"]!.GetValue<string>());

        await page.GotoAsync(standIn.PaymentElementUrl(intent.ClientSecret, new Uri("http://127.0.0.1:9/return")).AbsoluteUri);
        await page.GetByTestId("card").SelectOptionAsync("pm_card_mastercard");
        await page.GetByTestId("pay").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("redirect_status=succeeded", StringComparison.Ordinal));
        Assert.Equal("requires_capture", standIn.PaymentIntents.Single()["status"]!.GetValue<string>());
    }
}
