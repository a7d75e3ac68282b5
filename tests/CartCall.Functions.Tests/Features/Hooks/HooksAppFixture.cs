using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Storage;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.LocalCloud.Acs;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>
/// The whole app on the local Functions host with its worker in a process of its own (so a test can kill it as kill -9
/// would), the ACS, Event Grid and Web PubSub stand-ins, loopback webhooks allowed and the test hook program on the
/// allow-list. Stores are read straight from Azurite (the worker's services live in the other process).
/// </summary>
public sealed class HooksAppFixture : IAsyncLifetime
{
    public const int MerchantConcurrency = 4;

    private Azurite? azurite;
    private readonly Dictionary<string, string> publishableKeys = new(StringComparer.Ordinal);

    public AcsStandIn Acs { get; private set; } = default!;

    public EventGridStandIn EventGrid { get; private set; } = default!;

    public WebPubSubStandIn PubSub { get; private set; } = default!;

    public CloudEventSink Events { get; private set; } = default!;

    /// <summary>The Stripe paid calls hold and capture through (charge.captured); its webhooks go to the app.</summary>
    public StripeStandIn Stripe { get; private set; } = default!;

    public FunctionsApp App { get; private set; } = default!;

    public StorageClients Storage { get; private set; } = default!;

    public TableHookStore Hooks => new(Storage);

    public TableCallStore Calls => new(Storage);

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        Storage = new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString }));
        Acs = await AcsStandIn.StartAsync(new AcsStandInOptions { RingTimeout = TimeSpan.FromSeconds(1) }, CancellationToken.None);
        Events = await CloudEventSink.StartAsync();
        var topicKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        EventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions
        {
            TopicKey = topicKey,
            Subscriptions = { new EventGridSubscriptionOptions { Name = "calls-ended", Endpoint = Events.Url, IncludedEventTypes = [CallEnded.EventType] } },
        }, CancellationToken.None);
        PubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);

        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AppFixture.AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = EventGrid.Endpoint.AbsoluteUri,
            ["CartCall:EventGrid:TopicKey"] = topicKey,
            ["CartCall:EventGrid:DeliveryKey"] = AppFixture.DeliveryKey,
            ["CartCall:Acs:ConnectionString"] = Acs.ConnectionString,
            ["CartCall:Acs:ImmutableResourceId"] = Acs.ResourceId,
            ["CartCall:Acs:CallbackIssuer"] = Acs.Issuer,
            ["CartCall:Acs:OpenIdConfigurationUri"] = Acs.OpenIdConfigurationUri.AbsoluteUri,
            ["CartCall:Acs:RetryDelay"] = "00:00:00.050",
            ["CartCall:WebPubSub:ConnectionString"] = PubSub.ConnectionString,
            ["CartCall:WebPubSub:Hub"] = "cartcall",
            ["CartCall:Preferences:CookieSigningKey"] = AppFixture.CookieSigningKey,
            ["CartCall:Calls:AgentInvitationTimeoutSeconds"] = "1",
            ["CartCall:Calls:ApologyPromptUrl"] = "http://127.0.0.1/prompts/sorry.wav",
            ["CartCall:Calls:AgentUnavailableCallbackDelay"] = "01:00:00",
            ["CartCall:Calls:WrapUp"] = "00:00:00",
            ["CartCall:Calls:RingTimeout"] = "00:00:15",
            ["CartCall:Calls:CheckInterval"] = "00:00:05",
            ["CartCall:Hooks:AllowLoopbackWebhooks"] = "true",
            // Room for the durable engine's hops on 2 cores shared with other builds (a fan-out has taken over 6 s under
            // that load), so the tests of answers are not tests of the machine; the deadline's own test waits it out.
            ["CartCall:Hooks:BeforeDialDeadline"] = "00:00:15",
            ["CartCall:Hooks:MaxConcurrencyPerMerchant"] = MerchantConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var mode in new[] { "answer", "veto", "overlap" })
        {
            settings[$"CartCall:Hooks:Processes:Executables:{mode}:Path"] = HookTestSupport.TestProgram;
            settings[$"CartCall:Hooks:Processes:Executables:{mode}:Arguments:0"] = mode;
        }

        IdleSettings.AddTo(settings, IdleSettings.Once(TimeSpan.FromMinutes(10)));
        StripeSettings.AddTo(settings);
        var port = Azurite.FreePort();
        settings["CartCall:Calls:PublicBaseUrl"] = $"http://127.0.0.1:{port}/";
        Stripe = await StripeStandIn.StartAsync(new StripeStandInOptions
        {
            WebhookEndpoints = [new StripeWebhookEndpointOptions { Url = new Uri($"http://127.0.0.1:{port}/api/billing/stripe/webhooks"), Secrets = [StripeSettings.WebhookSecret] }],
            WebhookRetrySchedule = [TimeSpan.FromMilliseconds(200)],
        }, CancellationToken.None);
        StripeSettings.AddTo(settings, Stripe.BaseAddress);

        // Offers decided from cart events reach DeliverOffer as in Azure (offer.proposed's hooks start there).
        EventGrid.AddSubscription(new EventGridSubscriptionOptions
        {
            Name = "offers", Endpoint = new Uri($"http://127.0.0.1:{port}/api/offers/deliveries?code={AppFixture.DeliveryKey}"), IncludedEventTypes = [OfferProposed.EventType],
        });
        App = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings, StorageConnectionString = azurite.ConnectionString, HttpPort = port, WorkerProcess = true,
        });
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Acs is not null) await Acs.DisposeAsync();
        if (EventGrid is not null) await EventGrid.DisposeAsync();
        if (PubSub is not null) await PubSub.DisposeAsync();
        if (Events is not null) await Events.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
        if (azurite is not null) await azurite.DisposeAsync();
    }

    public HttpClient AdminClient()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        return client;
    }

    public async Task<string> CreateMerchantAsync(Action<Dictionary<string, object?>>? tweak = null)
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["sourcePhoneNumber"] = CallsFixture.MerchantNumber;
        doc["allowedCountries"] = new[] { "US", "GB" };
        tweak?.Invoke(doc);
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);
        // A test after the kill test may meet the worker while the host restarts it: a 503 says to come back.
        for (var tries = 0; response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && tries < 40; tries++)
        {
            await Task.Delay(250);
            response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);
        }

        response.EnsureSuccessStatusCode();
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["publishableKey"]!.GetValue<string>();
        lock (publishableKeys)
        {
            publishableKeys[id] = key;
        }

        return id;
    }

    /// <summary>The merchant's publishable key, for widget requests a test makes itself.</summary>
    public string PublishableKey(string merchantId)
    {
        lock (publishableKeys)
        {
            return publishableKeys[merchantId];
        }
    }

    public async Task AddAgentAsync(string merchantId, string agentId, string phone)
    {
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{merchantId}/agents/{agentId}",
            new { displayName = "Agent " + agentId, available = true, phoneNumber = phone, priority = 0 });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Registers a hook through the admin API and fails the test if it is refused.</summary>
    public async Task RegisterAsync(string merchantId, string hookId, object body)
    {
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{merchantId}/hooks/{hookId}", body);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public static object Webhook(Uri url, string point, int timeoutMs = 2_000, int attempts = 3, int firstIntervalMs = 100, string failureMode = "open", int priority = 0) => new
    {
        points = new[] { point },
        kind = "webhook",
        target = url.AbsoluteUri,
        timeoutMs,
        retry = new { maxAttempts = attempts, firstIntervalMs, backoffCoefficient = 2.0, maxIntervalMs = 5_000 },
        priority,
        failureMode,
        enabled = true,
    };

    public static object Process(string executable, string point, string failureMode = "open") => new
    {
        points = new[] { point },
        kind = "process",
        target = executable,
        timeoutMs = 5_000,
        retry = new { maxAttempts = 2, firstIntervalMs = 100, backoffCoefficient = 2.0, maxIntervalMs = 1_000 },
        failureMode,
        enabled = true,
    };

    public async Task<string> NewOfferAsync(string merchantId, string sessionId)
    {
        var offerId = "of_" + Guid.NewGuid().ToString("N")[..24];
        var now = DateTimeOffset.UtcNow;
        var offer = new OfferProposed(offerId, merchantId, sessionId, null, now, now + TimeSpan.FromMinutes(10), 0.82, "at_risk",
            ["Idle in checkout for 4 minutes", "Cart worth 480 USD"], 480m, "USD", 36m);
        await new TableOfferStore(Storage).TryAddAsync(offer, CancellationToken.None);
        return offerId;
    }

    /// <summary>The widget's phone accept; returns the call id.</summary>
    public async Task<string> AcceptAsync(string merchantId, string offerId, string sessionId, string shopperPhone, System.Net.IPAddress? from = null)
    {
        using var client = App.CreateClient(handleCookies: false, from: from);
        client.DefaultRequestHeaders.Add("Origin", CallsFixture.Origin);
        lock (publishableKeys)
        {
            client.DefaultRequestHeaders.Add(PublishableKeys.Header, publishableKeys[merchantId]);
        }

        var response = await client.PostAsJsonAsync($"/api/offers/{offerId}/accept",
            new { merchantId, sessionId, mode = (string?)null, browserCanDoAudio = false, preferences = CallsFixture.PhonePreferences(shopperPhone) });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["callId"]!.GetValue<string>();
    }

    public int CreateCallsFor(string callId) => Acs.Calls.Count(c => c.OperationContext == callId);

    public async Task<CallRecord> WaitForCallAsync(string callId, Func<CallRecord, bool> done, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(45);
        CallRecord? last = null;
        while (clock.Elapsed < limit)
        {
            last = await Calls.GetAsync(callId, CancellationToken.None);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Call {callId} did not get there in {limit}: last seen {last?.Status}/{last?.Phase} outcome {last?.Outcome}, detail {last?.Detail}.");
    }

    /// <summary>Waits (bounded) until <paramref name="probe"/> answers something.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(45);
        while (clock.Elapsed < limit)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out waiting for {what}.");
    }
}

[CollectionDefinition(Name)]
public sealed class HooksAppCollection : ICollectionFixture<HooksAppFixture>
{
    public const string Name = "hooks on the local Functions host";
}
