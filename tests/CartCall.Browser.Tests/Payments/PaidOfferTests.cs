using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.LocalCloud.Storefront;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Payments;

/// <summary>
/// A paid offer from end to end, as a shopper meets it (issue 13): the widget shows the price and its terms before
/// accept, the accept answers 402 and the widget frames the Stripe stand-in's Payment Element page (outside its shadow
/// root), the shopper authorises a test card there, the widget accepts again, the app checks the hold with Stripe and
/// places the call, hang-up captures, and the merchant's statement shows it. Each test has a merchant and demo store of
/// its own on the shared loop (app, Azurite, Event Grid, Web PubSub, ACS and Stripe stand-ins, Chromium).
/// </summary>
[Collection(LoopCollection.Name)]
public sealed class PaidOfferTests(CartCallLoop loop) : IAsyncLifetime
{
    private const string ConsentLabel = "I agree that this store may call this number";

    // 1.50 a started minute, at most 15.00: 15.00 is held at accept, and the loop's calls (the shopper hangs up a few
    // seconds in) are charged 1.50. No free minimum, so how long the stand-in's call lasts cannot change the outcome.
    private static readonly object Price = new { kind = "per_minute", currency = "USD", amountMinor = 150, capMinor = 1500, minimumSeconds = 0 };

    private readonly string _merchant = "paid-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly string _key = "pk_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private DemoStorefront? _store;

    // Numbers of this test's own (the stand-in answers any after 400 ms), so no other merchant's call can keep one busy.
    private readonly string[] _agentNumbers = [NextAgentNumber(), NextAgentNumber()];
    private static int agentNumberSeed;

    private static string NextAgentNumber() =>
        "+1415555" + (200 + Interlocked.Increment(ref agentNumberSeed) % 100).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        _store = await DemoStorefront.StartAsync(
            new DemoStorefrontOptions { AppBaseUrl = loop.AppUrl, MerchantId = _merchant, SigningSecret = CartCallLoop.Secret, PublishableKey = _key },
            CancellationToken.None);
        var doc = CartCallLoop.MerchantDocument(_merchant, _key, _store.Origin);
        doc["shopperPrice"] = Price;
        using var admin = loop.AdminClient();
        (await admin.PutAsJsonAsync($"api/merchants/{_merchant}", doc)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"api/merchants/{_merchant}/plan", Plan)).EnsureSuccessStatusCode();
        await SetAgentsAsync(available: true);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync();
    }

    [Fact]
    public async Task PaidOffer_ShowsItsPrice_TheShopperPaysWithATestCard_TheCallIsPlaced_AndTheStatementShowsTheCapture()
    {
        var shots = new StepShots();
        var page = await loop.NewShopperAsync();
        var dialog = await OfferAsync(page);
        // Price and terms before accept, in the shopper's format.
        await Expect(dialog).ToContainTextAsync("This call costs $1.50 per minute, at most $15.00.");
        await Expect(dialog).ToContainTextAsync("When you accept, $15.00 is held on your card.");
        await Expect(dialog).Not.ToContainTextAsync("seconds are free");
        await shots.TakeAsync(page, "offer-with-price");

        var payment = await PaymentStepAsync(page, dialog, "+12015550141");
        await Expect(dialog).ToContainTextAsync("This call costs $1.50 per minute");
        await shots.TakeAsync(page, "payment-step");
        var frame = page.FrameLocator("#cartcall-widget > [slot=pay] iframe");
        await frame.GetByTestId("card").SelectOptionAsync("pm_card_visa");
        await frame.GetByTestId("pay").ClickAsync();

        // The widget accepts again once the hold is authorised; the app checks it with Stripe and places the call.
        await Expect(dialog).ToContainTextAsync("The call has ended. Thank you!", new() { Timeout = 60_000 });
        await shots.TakeAsync(page, "call-ended");
        Assert.Contains(loop.Acs.Calls, c => c.OperationContext == payment.CallId);
        await Expect(page.Locator("#cartcall-widget > [slot=pay]")).ToHaveCountAsync(0);

        var statement = await StatementWhenAsync(s => s["shopperPaymentCount"]!.GetValue<int>() >= 1);
        Assert.Equal(1, statement["shopperPaymentCount"]!.GetValue<int>());
        Assert.Equal(150, statement["shopperPaymentsMinor"]!.GetValue<long>());
        var intent = Intent(payment.PaymentId);
        Assert.Equal("succeeded", intent["status"]!.GetValue<string>());
        Assert.Equal(1500, intent["amount"]!.GetValue<long>());
        Assert.Equal(150, intent["amount_received"]!.GetValue<long>());
        Assert.Single(Confirms(payment.PaymentId));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DeclinedCard_ShowsAnAlert_PlacesNoCall_AndCancellingLeavesNoHold()
    {
        var shots = new StepShots();
        var page = await loop.NewShopperAsync();
        var dialog = await OfferAsync(page);
        var payment = await PaymentStepAsync(page, dialog, "+12015550142");
        var frame = page.FrameLocator("#cartcall-widget > [slot=pay] iframe");

        await frame.GetByTestId("card").SelectOptionAsync("pm_card_chargeDeclinedInsufficientFunds");
        await frame.GetByTestId("pay").ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Your card was declined. Try another card, or cancel.");
        await shots.TakeAsync(page, "declined");
        // Declined: nothing authorised at Stripe, no call anywhere.
        var intent = Intent(payment.PaymentId);
        Assert.Equal("requires_payment_method", intent["status"]!.GetValue<string>());
        Assert.Equal(0, intent["amount_capturable"]!.GetValue<long>());
        Assert.DoesNotContain(loop.Acs.Calls, c => c.OperationContext == payment.CallId);
        Assert.Null(await loop.AppServices.GetRequiredService<TableCallStore>().GetAsync(payment.CallId, CancellationToken.None));

        // The shopper gives up at the payment step: the dismissal cancels the PaymentIntent, so nothing is left pending.
        var dismissed = page.WaitForResponseAsync(r => r.Request.Method == "POST" && r.Url.EndsWith("/dismiss", StringComparison.Ordinal));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Not now" }).ClickAsync();
        Assert.Equal(204, (await dismissed).Status);
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page.Locator("#cartcall-widget > [slot=pay]")).ToHaveCountAsync(0);
        Assert.Equal("canceled", Intent(payment.PaymentId)["status"]!.GetValue<string>());
        var hold = await loop.AppServices.GetRequiredService<IShopperHoldStore>().GetAsync(payment.CallId, CancellationToken.None);
        Assert.Equal(HoldStatus.Cancelled, hold!.Status);
        // Ours, or Stripe's payment_intent.canceled webhook for our cancel when it was reconciled first: cancelled either way.
        Assert.Contains(hold.Reason, new[] { "dismissed", "provider_abandoned" });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AcceptRefusedAfterPaying_TheRetryGoesAheadOnTheSameHold_WithoutConfirmingAgain()
    {
        var shots = new StepShots();
        var page = await loop.NewShopperAsync();
        var dialog = await OfferAsync(page);
        var payment = await PaymentStepAsync(page, dialog, "+12015550143");
        var frame = page.FrameLocator("#cartcall-widget > [slot=pay] iframe");

        // Every agent goes away while the shopper pays: the accept after the payment is refused (409).
        await SetAgentsAsync(available: false);
        var refused = page.WaitForResponseAsync(IsAccept);
        await frame.GetByTestId("card").SelectOptionAsync("pm_card_visa");
        await frame.GetByTestId("pay").ClickAsync();
        Assert.Equal(409, (await refused).Status);
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("No agent is available");
        await shots.TakeAsync(page, "refused");
        Assert.Equal("requires_capture", Intent(payment.PaymentId)["status"]!.GetValue<string>());

        // An agent is back; "Call me now" again: the hold stands, so no payment step and no second confirmation.
        await SetAgentsAsync(available: true);
        var retried = page.WaitForResponseAsync(IsAccept);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();
        Assert.Equal(202, (await retried).Status);
        await Expect(dialog).ToContainTextAsync("The call has ended. Thank you!", new() { Timeout = 60_000 });
        await shots.TakeAsync(page, "call-ended");
        Assert.Single(Confirms(payment.PaymentId));
        var statement = await StatementWhenAsync(s => s["shopperPaymentCount"]!.GetValue<int>() >= 1);
        Assert.Equal(150, statement["shopperPaymentsMinor"]!.GetValue<long>());
        await page.Context.CloseAsync();
    }

    /// <summary>Cart → checkout → idle: the offer (bounded wait: idle delay, queue, Event Grid and push hops).</summary>
    private async Task<ILocator> OfferAsync(IPage page)
    {
        await page.GotoAsync(_store!.Url.AbsoluteUri);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add Barista Pro espresso machine to cart" }).ClickAsync();
        await Expect(page.Locator("#cart-count")).ToHaveTextAsync("1");
        await page.GotoAsync(new Uri(_store.Url, "checkout").AbsoluteUri);
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync(new() { Timeout = 30_000 });
        return dialog;
    }

    /// <summary>Accepts by phone; the 402 brings the payment step with the stand-in's page framed in the widget.</summary>
    private static async Task<(string CallId, string PaymentId)> PaymentStepAsync(IPage page, ILocator dialog, string number)
    {
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
        await dialog.GetByLabel("Call my phone").CheckAsync();
        await dialog.GetByLabel("Phone number").FillAsync(number);
        await dialog.GetByLabel(ConsentLabel, new() { Exact = false }).CheckAsync();
        var accepted = page.WaitForResponseAsync(IsAccept);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();
        var answer = await accepted;
        Assert.Equal(402, answer.Status);
        var problem = JsonNode.Parse(await answer.TextAsync())!;
        var element = problem["paymentElement"]!;
        Assert.Equal("local", element["adapter"]!.GetValue<string>());
        var secret = problem["clientSecret"]!.GetValue<string>();
        Assert.Contains(Uri.EscapeDataString(secret), element["src"]!.GetValue<string>(), StringComparison.Ordinal);

        await Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Pay for your call" })).ToBeVisibleAsync();
        // Mounted in the light DOM (Stripe's Payment Element cannot live in a shadow root), shown through the panel's slot.
        await Expect(page.Locator("#cartcall-widget > [slot=pay] iframe")).ToHaveAttributeAsync("title", "Payment details");
        // The accept's URL names the offer; the call (and its hold) is named after it.
        var offerId = Uri.UnescapeDataString(new Uri(answer.Url).Segments[^2].TrimEnd('/'));
        return (CallIds.ForOffer(offerId), secret[..secret.IndexOf("_secret_", StringComparison.Ordinal)]);
    }

    // The widget's POST, never a CORS preflight of it.
    private static bool IsAccept(IResponse r) => r.Request.Method == "POST" && r.Url.EndsWith("/accept", StringComparison.Ordinal);

    private JsonObject Intent(string paymentId) =>
        loop.Stripe.PaymentIntents.Single(pi => pi["id"]!.GetValue<string>() == paymentId);

    private IReadOnlyList<LocalCloud.Stripe.StripeRequestRecord> Confirms(string paymentId) =>
        [.. loop.Stripe.Requests.Where(r => r.Method == "POST" && r.Path == $"/v1/payment_intents/{paymentId}/confirm" && r.Status == 200)];

    private async Task SetAgentsAsync(bool available)
    {
        using var admin = loop.AdminClient();
        foreach (var (id, phone) in new[] { ("agent-1", _agentNumbers[0]), ("agent-2", _agentNumbers[1]) })
        {
            (await admin.PutAsJsonAsync($"api/merchants/{_merchant}/agents/{id}", new { displayName = id, available, phoneNumber = phone, priority = 1 }))
                .EnsureSuccessStatusCode();
        }
    }

    /// <summary>This month's statement through the admin API, once <paramref name="done"/> holds (bounded: the call's settlement runs after hang-up).</summary>
    private async Task<JsonObject> StatementWhenAsync(Func<JsonObject, bool> done)
    {
        using var admin = loop.AdminClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            // The merchant's month in its time zone (Europe/London); a test across midnight at month's end reads the next.
            var period = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
            var response = await admin.GetAsync($"api/merchants/{_merchant}/statements/{period}");
            if (response.IsSuccessStatusCode)
            {
                last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
                if (done(last)) return last;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"The statement never showed it; last: {last?.ToJsonString()}");
        return null!;
    }

    private static readonly object Plan = new
    {
        timeZone = "Europe/London",
        plan = new
        {
            id = "standard",
            currency = "USD",
            monthlyFeeMinor = 4900,
            includedMinutes = 0,
            rounding = "per_second",
            rates = new object[]
            {
                new { mode = "browser", perCallMinor = 10, perMinuteMinor = 6 },
                new { mode = "phone", perCallMinor = 20, perMinuteMinor = 30 },
            },
        },
    };
}
