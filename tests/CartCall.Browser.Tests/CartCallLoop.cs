using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.LocalCloud.Acs;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.Storefront;
using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using Microsoft.Playwright;

namespace CartCall.Browser.Tests;

/// <summary>
/// The whole loop in-process on loopback, as a shopper meets it: Azurite, the Event Grid stand-in (subscribed to the
/// app's DeliverOffer), the Web PubSub stand-in, the app on the local Functions host, one merchant with agents, the demo store
/// embedding the widget, and headless Chromium. Tests share it and isolate by browser context (each context is a
/// new store session, so a new CartCall session and a new preference cookie).
/// </summary>
public sealed class CartCallLoop : IAsyncLifetime
{
    public const string AdminKey = "browser-admin-key-0123456789";
    public const string Secret = "whsec_browser_0123456789abcdef";

    /// <summary>Idle this long in checkout and the app scores the session again; short so tests wait little.</summary>
    public static readonly TimeSpan IdleDelay = TimeSpan.FromSeconds(2);

    private Azurite? _azurite;
    private EventGridStandIn? _eventGrid;
    private WebPubSubStandIn? _webPubSub;
    private AcsStandIn? _acs;
    private StripeStandIn? _stripe;
    private FunctionsApp? _app;
    private DemoStorefront? _store;
    private IPlaywright? _playwright;

    public string MerchantId { get; } = "browser-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>The agent who answers in the agent workspace (browser calls), and their key.</summary>
    public const string WorkspaceAgentId = "ada";

    public string WorkspaceKey { get; private set; } = "";

    public string PublishableKey { get; } = "pk_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public Uri AppUrl { get; private set; } = default!;

    public DemoStorefront Store => _store!;

    public IBrowser Browser { get; private set; } = default!;

    public Azurite Storage => _azurite!;

    /// <summary>The Event Grid stand-in, whose delivery log shows when each offer event reached the app.</summary>
    public EventGridStandIn EventGrid => _eventGrid!;

    public WebPubSubStandIn WebPubSub => _webPubSub!;

    /// <summary>The ACS stand-in: the calls the app placed, with their parties.</summary>
    public AcsStandIn Acs => _acs!;

    /// <summary>The Stripe stand-in the app's paid calls use: its PaymentIntents, requests, and the Payment Element page the widget frames.</summary>
    public StripeStandIn Stripe => _stripe!;

    /// <summary>The app's services, to read what the server stored (offers, decisions) rather than trusting the page.</summary>
    public IServiceProvider AppServices => _app!.Services;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        _webPubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        // Every phone answers shortly and the shopper hangs up a few seconds in, so an accepted call runs its course.
        _acs = await AcsStandIn.StartAsync(
            new AcsStandInOptions
            {
                RingTimeout = TimeSpan.FromSeconds(10),
                // Identities the app makes (a browser call's shopper, the workspace agent) answer in their pages.
                IssuedUserParty = PartyScript.InBrowser(),
                DefaultParty = new PartyScript { AnswerAfter = TimeSpan.FromMilliseconds(400), HangUpAfter = TimeSpan.FromSeconds(4) },
            },
            CancellationToken.None);
        var topicKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        _eventGrid = await EventGridStandIn.StartAsync(
            new EventGridStandInOptions
            {
                TopicKey = topicKey,
                RetrySchedule = [TimeSpan.FromSeconds(1)],
                ResponseTimeout = TimeSpan.FromSeconds(10),
            },
            CancellationToken.None);

        var appPort = Azurite.FreePort();
        AppUrl = new Uri($"http://127.0.0.1:{appPort}/");
        var deliveryKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = _azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = _eventGrid.Endpoint.AbsoluteUri,
            ["CartCall:EventGrid:TopicKey"] = topicKey,
            ["CartCall:EventGrid:DeliveryKey"] = deliveryKey,
            ["CartCall:WebPubSub:ConnectionString"] = _webPubSub.ConnectionString,
            ["CartCall:WebPubSub:Hub"] = "cartcall",
            ["CartCall:Acs:ConnectionString"] = _acs.ConnectionString,
            ["CartCall:Acs:ImmutableResourceId"] = _acs.ResourceId,
            ["CartCall:Acs:CallbackIssuer"] = _acs.Issuer,
            ["CartCall:Acs:OpenIdConfigurationUri"] = _acs.OpenIdConfigurationUri.AbsoluteUri,
            // The workspace agent's ring: long enough for a test to check the ringing workspace (its details, screenshots
            // at two widths) before it answers, on a loaded machine; 5 s ran out once before the click.
            ["CartCall:Calls:AgentInvitationTimeoutSeconds"] = "20",
            ["CartCall:Preferences:CookieSigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            ["CartCall:Calls:PublicBaseUrl"] = AppUrl.AbsoluteUri,
            ["CartCall:Calling:Adapter"] = "local",
            // No wrap-up: the loop has one scripted agent, and a test after a call must find them available again.
            ["CartCall:Calls:WrapUp"] = "00:00:00",
            // Every shopper of these tests comes from 127.0.0.1; the voice measurement alone places 20 calls.
            ["CartCall:Calls:MaxCallsPerClientAddressPerHour"] = "1000",
            // A test's merchant hook is a Kestrel server on 127.0.0.1 (VetoedCallTests).
            ["CartCall:Hooks:AllowLoopbackWebhooks"] = "true",
        };
        // One check after each silence of IdleDelay; the session stays open (a shopper who comes back, reloads or
        // dismisses and idles again is scored again) until ten minutes of silence close it.
        IdleSettings.AddTo(settings, IdleSettings.Schedule([IdleDelay], TimeSpan.Zero, TimeSpan.FromMinutes(10)));
        // A real Stripe stand-in (paid offers hold, capture and post webhooks through it); merchants without a price never reach it.
        _stripe = await StripeStandIn.StartAsync(
            new StripeStandInOptions
            {
                WebhookEndpoints = [new StripeWebhookEndpointOptions { Url = new Uri(AppUrl, "api/billing/stripe/webhooks"), Secrets = [StripeSettings.WebhookSecret] }],
                WebhookRetrySchedule = [TimeSpan.FromMilliseconds(500)],
            },
            CancellationToken.None);
        StripeSettings.AddTo(settings, _stripe.BaseAddress);

        _app = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings,
            StorageConnectionString = _azurite.ConnectionString,
            HttpPort = appPort,
            QueuePollingInterval = TimeSpan.FromMilliseconds(200),
        });

        _eventGrid.AddSubscription(new EventGridSubscriptionOptions
        {
            Name = "deliver-offer",
            Endpoint = new Uri(AppUrl, $"api/offers/deliveries?code={deliveryKey}"),
            IncludedEventTypes = ["CartCall.OfferProposed"],
            MaxDeliveryAttempts = 5,
        });

        _store = await DemoStorefront.StartAsync(
            new DemoStorefrontOptions { AppBaseUrl = AppUrl, MerchantId = MerchantId, SigningSecret = Secret, PublishableKey = PublishableKey, VoiceProcessing = false },
            CancellationToken.None);

        using (var admin = AdminClient())
        {
            (await admin.PutAsJsonAsync($"api/merchants/{MerchantId}", MerchantDocument(MerchantId, PublishableKey, Store.Origin))).EnsureSuccessStatusCode();
            (await admin.PutAsJsonAsync($"api/merchants/{MerchantId}/agents/agent-1", new { displayName = "Sam", available = true, phoneNumber = "+14155550100", priority = 1 }))
                .EnsureSuccessStatusCode();
            // A second scripted agent: a test that starts while the last test's call is still ending finds one free.
            (await admin.PutAsJsonAsync($"api/merchants/{MerchantId}/agents/agent-2", new { displayName = "Kim", available = true, phoneNumber = "+14155550101", priority = 2 }))
                .EnsureSuccessStatusCode();
            // The workspace agent: tried first once available, away until a test signs in and makes them available.
            (await admin.PutAsJsonAsync($"api/merchants/{MerchantId}/agents/{WorkspaceAgentId}", new { displayName = "Ada", available = false, priority = 0 }))
                .EnsureSuccessStatusCode();
            var issued = await admin.PostAsync($"api/merchants/{MerchantId}/agents/{WorkspaceAgentId}/key", null);
            issued.EnsureSuccessStatusCode();
            WorkspaceKey = (await issued.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["key"]!.GetValue<string>();
            using var agent = AppClient();
            agent.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", WorkspaceKey);
            (await agent.PutAsJsonAsync("api/agent/me", new { takesCallsOn = "browser" })).EnsureSuccessStatusCode();
        }

        (_playwright, Browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_store is not null) await _store.DisposeAsync();
        if (_app is not null) await _app.DisposeAsync();
        if (_eventGrid is not null) await _eventGrid.DisposeAsync();
        if (_webPubSub is not null) await _webPubSub.DisposeAsync();
        if (_acs is not null) await _acs.DisposeAsync();
        if (_stripe is not null) await _stripe.DisposeAsync();
        if (_azurite is not null) await _azurite.DisposeAsync();
    }

    /// <summary>A client of the app on its real port (the same one the browser uses).</summary>
    public HttpClient AppClient() => new() { BaseAddress = AppUrl, Timeout = TimeSpan.FromSeconds(30) };

    public HttpClient AdminClient()
    {
        var client = AppClient();
        client.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AdminKey);
        return client;
    }

    /// <summary>A fresh shopper: new context, so new store session, sessionStorage and preference cookie.</summary>
    public async Task<IPage> NewShopperAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1100, Height = 800 },
            Locale = "en-US",
            TimezoneId = "Europe/London",
        });
        // A bound, not a timing: generous, because the machines are shared and a loaded one can be slow to settle a click.
        context.SetDefaultTimeout(45_000);
        return await context.NewPageAsync();
    }

    /// <summary>
    /// A merchant open around the clock whose model offers a call only when a shopper who reached checkout goes
    /// quiet: events score low (idle 0 at the moment they happen) and the idle re-evaluation scores high. Caps leave
    /// the dismissal cap as the only thing that stops a second offer in a session.
    /// </summary>
    public static Dictionary<string, object?> MerchantDocument(string id, string publishableKey, string origin) => new()
    {
        ["id"] = id,
        ["displayName"] = "Brew & Bean",
        ["signingSecrets"] = new[] { Secret },
        ["publishableKey"] = publishableKey,
        ["currency"] = "USD",
        ["timeZone"] = "Europe/London",
        ["businessHours"] = Enum.GetNames<DayOfWeek>().Select(d => new { day = d.ToLowerInvariant(), opens = "00:00", closes = "00:00" }).ToArray(),
        ["scoring"] = new
        {
            minScore = 0.45,
            minCartValue = 0,
            weightOverrides = new Dictionary<string, double>
            {
                ["intercept"] = -4.5,
                ["reached_checkout"] = 4,
                ["idle_seconds"] = 20,
                ["cart_value"] = 0,
                ["item_count"] = 0,
                ["distinct_items"] = 0,
                ["seconds_in_checkout"] = 0,
                ["shipping_dwell_seconds"] = 0,
                ["revisits"] = 0,
                ["items_removed"] = 0,
                ["cart_views"] = 0,
                ["page_views"] = 0,
            },
        },
        ["valueModel"] = new { defaultMarginRate = 0.4, callCost = 1.0, expectedRecoveryRate = 0.5 },
        ["dailyOfferBudget"] = 1000,
        ["frequencyCaps"] = new { maxOffersPerSession = 5, maxOffersPerShopperPerDay = 50, minMinutesBetweenOffers = 0, maxDismissalsPerSession = 1 },
        ["allowedOrigins"] = new[] { origin },
        ["allowedCountries"] = new[] { "US", "CA", "GB" },
        ["sourcePhoneNumber"] = "+14155550199",
        // Every browser session must be offered: no holdout.
        ["experiment"] = new { holdoutShare = 0.0, attributionWindowHours = 24 },
    };
}

[CollectionDefinition(Name)]
public sealed class LoopCollection : ICollectionFixture<CartCallLoop>
{
    public const string Name = "CartCall loop with a browser";
}
