using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using Azure.Messaging;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using CartCall.LocalCloud.Acs;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// The app on the local Functions host (ACS must reach it) over Azurite, with the ACS, Event Grid and Web PubSub
/// stand-ins in-process. CallEnded events reach <see cref="Events"/> through an Event Grid webhook subscription.
/// Its stores are read straight from Azurite, so the same helpers work when the worker runs in a process of its own
/// (<see cref="WorkerProcessCallsFixture"/>, for crash tests).
/// </summary>
public class CallsFixture : IAsyncLifetime
{
    private readonly bool workerProcess;

    public CallsFixture()
        : this(workerProcess: false)
    {
    }

    /// <param name="workerProcess">Run the worker as a child process (so a test can kill it) instead of in-process.</param>
    protected CallsFixture(bool workerProcess) => this.workerProcess = workerProcess;

    public const string AdminKey = AppFixture.AdminKey;
    public const string MerchantNumber = "+12015550100";
    public const string Origin = "http://127.0.0.1:5173";

    private readonly ConcurrentDictionary<string, string> publishableKeys = new(StringComparer.Ordinal);

    private Azurite? azurite;

    public AcsStandIn Acs { get; private set; } = default!;

    public EventGridStandIn EventGrid { get; private set; } = default!;

    public WebPubSubStandIn PubSub { get; private set; } = default!;

    /// <summary>The Stripe the app bills shoppers through; its webhooks go to the app's intake.</summary>
    public StripeStandIn Stripe { get; private set; } = default!;

    public CloudEventSink Events { get; private set; } = default!;

    public FunctionsApp App { get; private set; } = default!;

    /// <summary>The app's storage, as the tests read and seed it (the worker may be another process).</summary>
    public StorageClients Storage { get; private set; } = default!;


    /// <summary>How often a call's orchestration asks ACS for the call's real state.</summary>
    protected virtual TimeSpan CheckInterval => TimeSpan.FromSeconds(5);

    /// <summary>Changes the app's settings before it starts (a fixture of its own for tests that need other waits).</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
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
            ["CartCall:Admin:Key"] = AdminKey,
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
            // Browser calls over the stand-in's signalling, as cartcall-local runs them.
            ["CartCall:Calling:Adapter"] = "local",
            ["CartCall:Calls:ApologyPromptUrl"] = "http://127.0.0.1/prompts/sorry.wav",
            ["CartCall:Calls:AgentUnavailableCallbackDelay"] = "01:00:00",
            ["CartCall:Calls:WrapUp"] = "00:00:00",
            // A hold no call used is released a second after its offer expired (5 minutes in production).
            ["CartCall:Billing:UnusedHoldGrace"] = "00:00:01",
            ["CartCall:Calls:RingTimeout"] = "00:00:15",
            ["CartCall:Calls:CheckInterval"] = CheckInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        };

        Configure(settings);
        IdleSettings.AddTo(settings, IdleSettings.Once(TimeSpan.FromMinutes(10)));
        var port = Azurite.FreePort();
        Stripe = await StripeStandIn.StartAsync(new StripeStandInOptions
        {
            WebhookEndpoints = [new StripeWebhookEndpointOptions { Url = new Uri($"http://127.0.0.1:{port}/api/billing/stripe/webhooks"), Secrets = [StripeSettings.WebhookSecret] }],
            WebhookRetrySchedule = [TimeSpan.FromMilliseconds(200)],
        }, CancellationToken.None);
        StripeSettings.AddTo(settings, Stripe.BaseAddress);
        settings["CartCall:Calls:PublicBaseUrl"] = $"http://127.0.0.1:{port}/";
        Storage = new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString }));
        App = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings,
            StorageConnectionString = azurite.ConnectionString,
            HttpPort = port,
            WorkerProcess = workerProcess,
        });
    }

    public async Task DisposeAsync()
    {
        // Any part may be missing when start-up failed half way.
        if (App is not null) await App.DisposeAsync();
        if (Acs is not null) await Acs.DisposeAsync();
        if (EventGrid is not null) await EventGrid.DisposeAsync();
        if (PubSub is not null) await PubSub.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
        if (Events is not null) await Events.DisposeAsync();
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }

    public Uri AppAddress => App.BaseAddress;

    public HttpClient Client() => App.CreateClient();

    /// <summary>A client as the widget on the merchant's storefront: its origin and publishable key, no cookie jar.</summary>
    public HttpClient WidgetClient(string merchantId, IPAddress? from = null)
    {
        var client = App.CreateClient(handleCookies: false, from: from);
        client.DefaultRequestHeaders.Add("Origin", Origin);
        client.DefaultRequestHeaders.Add(PublishableKeys.Header, publishableKeys[merchantId]);
        return client;
    }

    public HttpClient AdminClient()
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AdminKey);
        return client;
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    public async Task<string> CreateMerchantAsync(Action<Dictionary<string, object?>>? tweak = null)
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["sourcePhoneNumber"] = MerchantNumber;
        doc["allowedCountries"] = new[] { "US", "GB" };
        tweak?.Invoke(doc);
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);
        response.EnsureSuccessStatusCode();
        publishableKeys[id] = (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["publishableKey"]!.GetValue<string>();
        return id;
    }

    public async Task AddAgentAsync(string merchantId, string agentId, string? phone = null, string? acsUser = null, int priority = 0, bool available = true)
    {
        using var client = AdminClient();
        var response = await client.PutAsJsonAsync($"/api/merchants/{merchantId}/agents/{agentId}",
            new { displayName = "Agent " + agentId, available, phoneNumber = phone, acsUserId = acsUser, priority });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Stores an offer as DeliverOffer would after Event Grid brought it.</summary>
    public async Task<string> NewOfferAsync(string merchantId, string sessionId, TimeSpan? expiresIn = null)
    {
        var offerId = "of_" + Guid.NewGuid().ToString("N")[..24];
        var now = DateTimeOffset.UtcNow;
        var offer = new OfferProposed(offerId, merchantId, sessionId, null, now, now + (expiresIn ?? TimeSpan.FromMinutes(10)), 0.82, "at_risk",
            ["Idle in checkout for 4 minutes", "Cart worth 480 USD"], 480m, "USD", 36m);
        Assert.True(await new TableOfferStore(Storage).TryAddAsync(offer, CancellationToken.None));
        return offerId;
    }

    public static object PhonePreferences(string number, object? quietHours = null, bool consent = true) => new
    {
        mode = "phone",
        phoneNumber = number,
        timeZone = "UTC",
        language = "en",
        quietHours,
        consent = consent ? new { textVersion = "2026-11", given = true } : null,
    };

    /// <summary>
    /// The widget's accept, from <paramref name="from"/> as the platform's front end sees the shopper (a loopback
    /// address of its own), optionally claiming <paramref name="forwardedFor"/> hops of its own, which count for nothing.
    /// </summary>
    public async Task<HttpResponseMessage> AcceptAsync(string offerId, string merchantId, string sessionId, string? mode, bool audio, object? preferences,
        string? forwardedFor = null, IPAddress? from = null)
    {
        using var client = WidgetClient(merchantId, from);
        if (forwardedFor is not null)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        }

        return await client.PostAsJsonAsync($"/api/offers/{offerId}/accept", new { merchantId, sessionId, mode, browserCanDoAudio = audio, preferences });
    }

    public Task<CallRecord?> CallAsync(string callId) => new TableCallStore(Storage).GetAsync(callId, CancellationToken.None);

    /// <summary>Waits (bounded) until the stored call satisfies <paramref name="done"/>.</summary>
    public async Task<CallRecord> WaitForCallAsync(string callId, Func<CallRecord, bool> done, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        CallRecord? last = null;
        while (clock.Elapsed < limit)
        {
            last = await CallAsync(callId);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Call {callId} did not get there in {limit}: last seen {last?.Status}/{last?.Phase} outcome {last?.Outcome}, tried [{string.Join(",", last?.AgentsTried ?? [])}], detail {last?.Detail}.");
    }

    public async Task<T> WaitForAsync<T>(Func<T?> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        while (clock.Elapsed < limit)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out waiting for {what}.");
    }

    /// <summary>Create-call requests the stand-in received for this call (by the operation context, which is the call id).</summary>
    public int CreateCallsFor(string callId) => Acs.Calls.Count(c => c.OperationContext == callId);

    /// <summary>
    /// A token signed with the stand-in's real key but for another audience. The stand-in only ever signs for its own
    /// resource, so the test reaches its signer by reflection: the one way to isolate the audience check.
    /// </summary>
    public string RealKeyTokenFor(string audience)
    {
        var signer = typeof(AcsStandIn).GetField("_signer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(Acs)!;
        var create = signer.GetType().GetMethod("CreateToken")!;
        return (string)create.Invoke(signer, [Acs.Issuer, audience, null, null])!;
    }

}

/// <summary>The calls fixture with the worker in a child process, reconciling every second.</summary>
public sealed class WorkerProcessCallsFixture() : CallsFixture(workerProcess: true)
{
    protected override TimeSpan CheckInterval => TimeSpan.FromSeconds(1);
}

[CollectionDefinition(Name)]
public sealed class WorkerProcessCallsCollection : ICollectionFixture<WorkerProcessCallsFixture>
{
    public const string Name = "calls over the ACS stand-in, worker in a process of its own";
}

[CollectionDefinition(Name)]
public sealed class CallsCollection : ICollectionFixture<CallsFixture>
{
    public const string Name = "calls over the ACS stand-in";
}

/// <summary>An Event Grid webhook subscriber on loopback: answers the CloudEvents handshake and keeps what it is sent.</summary>
public sealed class CloudEventSink : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<CloudEvent> received = new();

    private CloudEventSink(WebApplication app) => this.app = app;

    public Uri Url { get; private set; } = default!;

    public IReadOnlyList<CloudEvent> Received => received.ToArray();

    public IReadOnlyList<CallEnded> Ended(string callId) => received
        .Where(e => e.Type == CallEnded.EventType)
        .Select(e => e.Data!.ToObjectFromJson<CallEnded>(AppJson.Options)!)
        .Where(e => e.CallId == callId)
        .ToList();

    public static async Task<CloudEventSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var web = builder.Build();
        var sink = new CloudEventSink(web);
        web.MapMethods("/events", ["OPTIONS"], (HttpContext ctx) =>
        {
            ctx.Response.Headers["WebHook-Allowed-Origin"] = ctx.Request.Headers["WebHook-Request-Origin"].ToString();
            return Results.Ok();
        });
        web.MapPost("/events", async (HttpContext ctx) =>
        {
            var body = await BinaryData.FromStreamAsync(ctx.Request.Body, ctx.RequestAborted);
            foreach (var e in CloudEvent.ParseMany(body))
            {
                sink.received.Enqueue(e);
            }

            return Results.Ok();
        });
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Url = new Uri($"http://127.0.0.1:{new Uri(address).Port}/events");
        return sink;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
