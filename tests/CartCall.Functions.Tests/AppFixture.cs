using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Hosting.Middleware;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;

namespace CartCall.Functions.Tests;

/// <summary>
/// The app on the local Functions host (worker in-process) over a real Azurite. Shared by a collection; each test uses
/// its own merchant id.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789";
    public const string Secret = "whsec_test_0123456789abcdef";

    /// <summary>A publishable key tests give the merchants they make with <see cref="CreateKeyedMerchantAsync"/>.</summary>
    public const string PublishableKey = "pk_test_0123456789abcdefABCDEF";

    /// <summary>New anonymous profiles one address may have stored per merchant and hour here (small, so tests reach it).</summary>
    public const int AnonymousProfilesPerAddress = 5;

    /// <summary>New anonymous profiles one merchant may have stored per hour here.</summary>
    public const int AnonymousProfilesPerMerchant = 8;

    /// <summary>What Event Grid must add to every delivery to DeliverOffer as <c>?code=</c>.</summary>
    public const string DeliveryKey = "test-delivery-key-0123456789";

    /// <summary>The preference cookie's signing key in every test app (base64 of 32 bytes), so tests can mint cookies.</summary>
    public const string CookieSigningKey = "Y2FydGNhbGwtdGVzdC1jb29raWUtc2lnbmluZy1rZXk=";

    private Azurite? azurite;
    private WebPubSubStandIn? pubSub;

    public FunctionsApp App { get; private set; } = default!;

    /// <summary>The worker's services, to read what the app stored.</summary>
    public IServiceProvider Services => App.Services;

    public Azurite Storage => azurite!;

    /// <summary>The Web PubSub stand-in offers are pushed to (unless <see cref="Settings"/> names another).</summary>
    public WebPubSubStandIn PubSub => pubSub!;

    /// <summary>Extra settings a derived collection wants (e.g. a real Event Grid stand-in).</summary>
    public Dictionary<string, string?> Settings { get; } = new();

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        pubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = $"http://127.0.0.1:{Azurite.FreePort()}/api/events",
            ["CartCall:EventGrid:TopicKey"] = "unused-in-this-collection",
            ["CartCall:EventGrid:DeliveryKey"] = DeliveryKey,
            ["CartCall:Preferences:CookieSigningKey"] = CookieSigningKey,
            ["CartCall:Preferences:AnonymousProfilesPerAddress"] = AnonymousProfilesPerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CartCall:Preferences:AnonymousProfilesPerMerchant"] = AnonymousProfilesPerMerchant.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // A real push target, so delivering an offer never waits out retries against a closed port.
            ["CartCall:WebPubSub:ConnectionString"] = pubSub.ConnectionString,
            // Calls (issue 4) need ACS and Web PubSub settings to start; nothing listens there in this collection.
            ["CartCall:Acs:ConnectionString"] = $"endpoint=http://127.0.0.1:{Azurite.FreePort()}/;accesskey={Convert.ToBase64String(new byte[32])}",
            ["CartCall:Acs:ImmutableResourceId"] = "unused-in-this-collection",
            ["CartCall:Acs:OpenIdConfigurationUri"] = $"http://127.0.0.1:{Azurite.FreePort()}/calling/.well-known/acsopenidconfiguration",
            ["CartCall:WebPubSub:Hub"] = "cartcall",
        };
        IdleSettings.AddTo(settings, IdleSettings.Once(TimeSpan.FromMinutes(1)));
        StripeSettings.AddTo(settings);
        foreach (var (k, v) in Settings)
        {
            settings[k] = v;
        }

        App = await FunctionsApp.StartAsync(new FunctionsAppOptions { Settings = settings, StorageConnectionString = azurite.ConnectionString });
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        if (pubSub is not null)
        {
            await pubSub.DisposeAsync();
        }
    }

    /// <summary>A client for the app, keeping cookies as a browser does unless told otherwise.</summary>
    public HttpClient CreateClient(bool handleCookies = true, System.Net.IPAddress? from = null) => App.CreateClient(handleCookies, from);

    public HttpClient AdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AdminKey);
        return client;
    }

    public static string NewMerchantId() => "m-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A merchant open around the clock, eager to offer: tests narrow it where they need to.</summary>
    public static Dictionary<string, object?> MerchantDocument(string id) => new()
    {
        ["id"] = id,
        ["displayName"] = "Test Store " + id,
        ["signingSecrets"] = new[] { Secret },
        ["currency"] = "USD",
        ["timeZone"] = "Europe/London",
        ["businessHours"] = Enum.GetNames<DayOfWeek>().Select(d => new { day = d.ToLowerInvariant(), opens = "00:00", closes = "00:00" }).ToArray(),
        ["scoring"] = new { minScore = 0.0, minCartValue = 0 },
        ["valueModel"] = new { defaultMarginRate = 0.4, callCost = 1.0, expectedRecoveryRate = 0.5 },
        ["dailyOfferBudget"] = 100,
        ["frequencyCaps"] = new { maxOffersPerSession = 2, maxOffersPerShopperPerDay = 3, minMinutesBetweenOffers = 0, maxDismissalsPerSession = 1 },
        ["allowedOrigins"] = new[] { "http://127.0.0.1:5173" },
        // No holdout: a test that expects an offer must not land in the control group by the luck of its ids.
        ["experiment"] = new { holdoutShare = 0.0, attributionWindowHours = 24 },
    };

    public async Task<string> CreateMerchantAsync(Action<Dictionary<string, object?>>? tweak = null)
    {
        var id = NewMerchantId();
        var doc = MerchantDocument(id);
        tweak?.Invoke(doc);
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);
        response.EnsureSuccessStatusCode();
        return id;
    }

    /// <summary>A merchant (see <see cref="MerchantDocument"/>) whose publishable key is <see cref="PublishableKey"/>.</summary>
    public Task<string> CreateKeyedMerchantAsync(Action<Dictionary<string, object?>>? tweak = null) =>
        CreateMerchantAsync(d =>
        {
            d["publishableKey"] = PublishableKey;
            tweak?.Invoke(d);
        });

    public static HttpRequestMessage SignedCartEvent(string merchantId, object body, DateTimeOffset? signedAt = null, string secret = Secret)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        return SignedCartEventBytes(merchantId, bytes, signedAt, secret);
    }

    public static HttpRequestMessage SignedCartEventBytes(string merchantId, byte[] bytes, DateTimeOffset? signedAt = null, string secret = Secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{merchantId}/cart-events")
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookSignatures.CartCallHeader, WebhookSignatures.SignCartCall(bytes, secret, signedAt ?? DateTimeOffset.UtcNow));
        return request;
    }

    public static object CartEvent(string sessionId, string type, DateTimeOffset at, string? eventId = null, decimal price = 120m, int quantity = 1, string currency = "USD", string? shopperId = null) => new
    {
        eventId = eventId ?? Guid.NewGuid().ToString("N"),
        sessionId,
        shopperId,
        occurredAt = at,
        type,
        cart = new { currency, items = new[] { new { sku = "SKU-1", title = "Espresso machine", quantity, unitPrice = price, unitCost = price * 0.5m } } },
    };

    /// <summary>A shopper who hesitates at checkout, payment failing twice: enough for the default model to offer a call.</summary>
    public static IReadOnlyList<object> HesitantCheckout(string sessionId, DateTimeOffset now) =>
    [
        CartEvent(sessionId, "item_added", now.AddMinutes(-9), price: 240m),
        CartEvent(sessionId, "checkout_started", now.AddMinutes(-8), price: 240m),
        CartEvent(sessionId, "shipping_viewed", now.AddMinutes(-7), price: 240m),
        CartEvent(sessionId, "payment_failed", now.AddMinutes(-2), price: 240m),
        CartEvent(sessionId, "payment_failed", now, price: 240m),
    ];

    /// <summary>A session id the merchant's holdout (half of sessions) puts in <paramref name="arm"/>.</summary>
    public static string SessionIn(string merchantId, CartCall.Domain.Experiments.ExperimentArm arm, string prefix) =>
        Enumerable.Range(0, 1000).Select(i => $"{prefix}-{i}").First(s => CartCall.Domain.Experiments.HoldoutAssignment.Assign(merchantId, s, 0.5) == arm);

    public static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>An offer as Event Grid would deliver it, posted to DeliverOffer with the delivery key; returns it.</summary>
    public async Task<CartCall.Functions.Features.Offers.OfferProposed> DeliverOfferAsync(
        string merchantId, string sessionId, DateTimeOffset? expiresAt = null, decimal cartValue = 240m, string currency = "USD")
    {
        var offer = Features.Offers.OfferEvents.Offer(merchantId, sessionId, cartValue, currency);
        if (expiresAt is { } expires)
        {
            offer = offer with { ProposedAt = expires.AddMinutes(-10), ExpiresAt = expires };
        }

        using var client = CreateClient();
        var response = await client.PostAsync($"/api/offers/deliveries?code={DeliveryKey}", CloudEvents(Features.Offers.OfferEvents.Event(offer)));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return offer;
    }

    /// <summary>A CloudEvents batch body of the given events (JSON objects).</summary>
    public static StringContent CloudEvents(params System.Text.Json.Nodes.JsonNode[] events) =>
        new(new System.Text.Json.Nodes.JsonArray(events).ToJsonString(), Encoding.UTF8, "application/cloudevents-batch+json");
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app over Azurite";
}
