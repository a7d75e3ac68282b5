using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartCall.Functions.Features.CartEvents;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.LocalCloud.Storefront;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Storefront;

/// <summary>The demo store as a storefront backend: server-side carts, and every cart event signed and accepted by the real app.</summary>
[Collection(LoopCollection.Name)]
public sealed class DemoStorefrontTests(CartCallLoop loop)
{
    [Fact]
    public async Task Browsing_ToCheckout_SendsEachCartEventSignedAndTheAppAcceptsThemInOrder()
    {
        using var shopper = Shopper();
        (await shopper.GetAsync("/")).EnsureSuccessStatusCode();
        (await shopper.PostAsJsonAsync("/store/api/cart/items", new { sku = "ESP-PRO", quantity = 1 })).EnsureSuccessStatusCode();
        (await shopper.PostAsJsonAsync("/store/api/cart/items", new { sku = "BEA-ETH", quantity = 2 })).EnsureSuccessStatusCode();
        (await shopper.GetAsync("/cart")).EnsureSuccessStatusCode();
        (await shopper.GetAsync("/checkout")).EnsureSuccessStatusCode();
        var sessionId = await SessionIdAsync(shopper);

        var deliveries = await DeliveriesAsync(sessionId, 5);

        Assert.Equal(["page_viewed", "item_added", "item_added", "cart_viewed", "checkout_started"], deliveries.Select(d => d.Type));
        Assert.All(deliveries, d => Assert.Equal(202, d.StatusCode));
        var last = JsonDocument.Parse(deliveries[^1].ResponseBody!).RootElement;
        Assert.Equal(deliveries[^1].EventId, last.GetProperty("eventId").GetString());
        Assert.False(last.GetProperty("duplicate").GetBoolean());
    }

    [Fact]
    public async Task Payment_WithTheDeclineCard_Answers402ProblemAndSendsPaymentFailed_ThenAGoodCardCompletesTheOrder()
    {
        using var shopper = Shopper();
        await FillCheckoutAsync(shopper);
        var sessionId = await SessionIdAsync(shopper);

        var declined = await shopper.PostAsJsonAsync("/store/api/checkout/payment", new { cardNumber = "4000 0000 0000 0002", expiry = "12/30", cvc = "123" });
        Assert.Equal(HttpStatusCode.PaymentRequired, declined.StatusCode);
        Assert.Equal("application/problem+json", declined.Content.Headers.ContentType?.MediaType);
        Assert.Contains("declined", (await declined.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var paid = await shopper.PostAsJsonAsync("/store/api/checkout/payment", new { cardNumber = "4242 4242 4242 4242", expiry = "12/30", cvc = "123" });
        paid.EnsureSuccessStatusCode();
        var orderId = (await paid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetString();

        var deliveries = await DeliveriesAsync(sessionId, 4);
        Assert.Equal(["item_added", "checkout_started", "payment_failed", "order_completed"], deliveries.Select(d => d.Type));
        Assert.All(deliveries, d => Assert.Equal(202, d.StatusCode));
        var cart = await shopper.GetFromJsonAsync<JsonElement>("/store/api/cart");
        Assert.Equal(0, cart.GetProperty("itemCount").GetInt32());
        var order = await shopper.GetFromJsonAsync<JsonElement>($"/store/api/orders/{orderId}");
        Assert.Equal(349.00m + 4.95m, order.GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task AddItem_WithUnknownSku_Answers400ProblemAndSendsNothing()
    {
        using var shopper = Shopper();
        var sessionId = await SessionIdAsync(shopper);
        var response = await shopper.PostAsJsonAsync("/store/api/cart/items", new { sku = "NOPE", quantity = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("NOPE", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await loop.Store.FlushAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.DoesNotContain(loop.Store.Deliveries, d => d.SessionId == sessionId);
    }

    [Fact]
    public async Task Checkout_WithAnEmptyCart_RedirectsToTheCart()
    {
        using var shopper = Shopper(allowRedirect: false);
        var response = await shopper.GetAsync("/checkout/payment");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/cart", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Pages_EmbedTheWidgetWithTheStoreSessionIdAndPublishableKey()
    {
        using var shopper = Shopper();
        var html = await shopper.GetStringAsync("/");
        var sessionId = await SessionIdAsync(shopper);

        Assert.Contains($"src=\"{new Uri(loop.AppUrl, "api/widget.js").AbsoluteUri}\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-session-id=\"{sessionId}\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-publishable-key=\"{loop.PublishableKey}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(CartCallLoop.Secret, html, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_ProducesWhatTheAppVerifies_AndNotWithAnotherSecret()
    {
        var body = Encoding.UTF8.GetBytes("""{"eventId":"e1","type":"item_added"}""");
        var now = DateTimeOffset.UtcNow;
        var header = CartCallWebhookClient.Sign(body, "s3cret", now);

        Assert.Null(WebhookSignatures.VerifyCartCall(header, body, ["s3cret"], now));
        Assert.NotNull(WebhookSignatures.VerifyCartCall(header, body, ["other"], now));
        Assert.Equal(WebhookSignatures.SignCartCall(body, "s3cret", now), header);
    }

    [Fact]
    public async Task StartAsync_WithBadOptions_ListsEveryProblem()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => DemoStorefront.StartAsync(
            new DemoStorefrontOptions { AppBaseUrl = null, MerchantId = "a/b", SigningSecret = "", PublishableKey = "sk_live", Currency = "usd" },
            CancellationToken.None));

        foreach (var word in new[] { "AppBaseUrl", "MerchantId", "SigningSecret", "PublishableKey", "Currency" })
        {
            Assert.Contains(word, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Shopper_WalksFromProductsThroughCheckoutToOrderConfirmation()
    {
        var shots = new StepShots();
        var page = await loop.NewShopperAsync();
        try
        {
            await page.GotoAsync(loop.Store.Url.AbsoluteUri);
            await page.GetByRole(AriaRole.Button, new() { Name = "Add Barista Pro espresso machine to cart" }).ClickAsync();
            await Expect(page.Locator("#cart-count")).ToHaveTextAsync("1");
            await shots.TakeAsync(page, "products");
            await page.GetByRole(AriaRole.Link, new() { Name = "Cart (1)" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "$349.00" })).ToBeVisibleAsync();
            await shots.TakeAsync(page, "cart");
            await page.GetByRole(AriaRole.Link, new() { Name = "Check out" }).ClickAsync();
            await FillDetailsAsync(page);
            await shots.TakeAsync(page, "details");
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to shipping" }).ClickAsync();
            await page.GetByLabel("Express (next day): $14.95").CheckAsync();
            await shots.TakeAsync(page, "shipping");
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue to payment" }).ClickAsync();
            await page.GetByLabel("Card number").FillAsync("4000 0000 0000 0002");
            await page.GetByLabel("Expiry").FillAsync("12/30");
            await page.GetByLabel("CVC").FillAsync("123");
            await page.GetByRole(AriaRole.Button, new() { Name = "Pay now" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("declined");
            await shots.TakeAsync(page, "declined");
            await page.GetByLabel("Card number").FillAsync("4242 4242 4242 4242");
            await page.GetByRole(AriaRole.Button, new() { Name = "Pay now" }).ClickAsync();
            await Expect(page.GetByText("Total paid: $363.95")).ToBeVisibleAsync();
            await shots.TakeAsync(page, "confirmation");

            var sessionId = await page.EvaluateAsync<string>("() => document.querySelector('script[data-session-id]').dataset.sessionId");
            var types = (await DeliveriesAsync(sessionId, 8)).Select(d => d.Type);
            Assert.Equal(["page_viewed", "item_added", "cart_viewed", "checkout_started", "shipping_viewed", "page_viewed", "payment_failed", "order_completed"], types);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    internal static async Task FillDetailsAsync(IPage page)
    {
        await page.GetByLabel("Full name").FillAsync("Ada Lovelace");
        await page.GetByLabel("Email").FillAsync("ada@example.com");
        await page.GetByLabel("Address").FillAsync("12 Analytical Row");
        await page.GetByLabel("City").FillAsync("London");
        await page.GetByLabel("Postal code").FillAsync("N1 9GU");
    }

    private HttpClient Shopper(bool allowRedirect = true) => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = allowRedirect })
    {
        BaseAddress = loop.Store.Url,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static async Task FillCheckoutAsync(HttpClient shopper)
    {
        (await shopper.PostAsJsonAsync("/store/api/cart/items", new { sku = "ESP-PRO", quantity = 1 })).EnsureSuccessStatusCode();
        (await shopper.GetAsync("/checkout")).EnsureSuccessStatusCode();
        (await shopper.PostAsJsonAsync("/store/api/checkout/details", new
        {
            name = "Ada Lovelace", email = "ada@example.com", address = "12 Analytical Row", city = "London", postalCode = "N1 9GU", country = "UK",
        })).EnsureSuccessStatusCode();
        (await shopper.PostAsJsonAsync("/store/api/checkout/shipping", new { option = "standard" })).EnsureSuccessStatusCode();
    }

    private static async Task<string> SessionIdAsync(HttpClient shopper) =>
        (await shopper.GetFromJsonAsync<JsonElement>("/store/api/cart")).GetProperty("sessionId").GetString()!;

    /// <summary>The session's deliveries once at least <paramref name="count"/> have answers (bounded wait).</summary>
    private async Task<IReadOnlyList<StorefrontDelivery>> DeliveriesAsync(string sessionId, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await loop.Store.FlushAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            var mine = loop.Store.Deliveries.Where(d => d.SessionId == sessionId).ToList();
            if (mine.Count >= count || DateTime.UtcNow > deadline)
            {
                return mine;
            }

            await Task.Delay(50);
        }
    }
}
