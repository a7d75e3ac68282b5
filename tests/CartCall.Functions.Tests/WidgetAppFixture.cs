using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using CartCall.LocalCloud.WebPubSub;

namespace CartCall.Functions.Tests;

/// <summary>
/// The app over Azurite and the Web PubSub stand-in (see <see cref="AppFixture"/>), with small browser-event rate
/// limits so tests reach them in a few requests.
/// </summary>
public sealed class WidgetAppFixture : IAsyncLifetime
{
    public const string Origin = "http://127.0.0.1:5173";
    public const int PerSessionLimit = 3;
    public const int PerAddressLimit = 6;

    public AppFixture App { get; } = new();

    public WebPubSubStandIn PubSub => App.PubSub;

    public async Task InitializeAsync()
    {
        App.Settings["CartCall:BrowserEvents:PerSessionLimit"] = PerSessionLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        App.Settings["CartCall:BrowserEvents:PerAddressLimit"] = PerAddressLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await App.InitializeAsync();
    }

    public Task DisposeAsync() => App.DisposeAsync();

    /// <summary>A merchant (see <see cref="AppFixture.MerchantDocument"/>) and the publishable key it was given.</summary>
    public async Task<(string Id, string Key)> CreateMerchantAsync(Action<Dictionary<string, object?>>? tweak = null)
    {
        var id = await App.CreateMerchantAsync(tweak);
        using var admin = App.AdminClient();
        var merchant = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{id}"))!;
        return (id, merchant["publishableKey"]!.GetValue<string>());
    }

    /// <summary>A client as the widget is one: on an allowed origin, with the key (unless null).</summary>
    public HttpClient WidgetClient(string? key, string origin = Origin, System.Net.IPAddress? from = null)
    {
        var client = App.CreateClient(from: from);
        client.DefaultRequestHeaders.Add("Origin", origin);
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(PublishableKeys.Header, key);
        }

        return client;
    }

    /// <summary>An offer as Event Grid would deliver it, posted to DeliverOffer; returns it.</summary>
    public Task<OfferProposed> DeliverOfferAsync(string merchantId, string sessionId, DateTimeOffset? expiresAt = null, decimal cartValue = 240m) =>
        App.DeliverOfferAsync(merchantId, sessionId, expiresAt, cartValue);

    /// <summary>Creates the session in the session store by a signed cart event (no agents, so no offer of its own).</summary>
    public async Task StartSessionAsync(string merchantId, string sessionId)
    {
        using var client = App.CreateClient();
        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchantId, AppFixture.CartEvent(sessionId, "checkout_started", DateTimeOffset.UtcNow)));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    public static JsonContent Answer(string merchantId, string sessionId) => JsonContent.Create(new { merchantId, sessionId });
}

[CollectionDefinition(Name)]
public sealed class WidgetAppCollection : ICollectionFixture<WidgetAppFixture>
{
    public const string Name = "app over Azurite with Web PubSub";
}
