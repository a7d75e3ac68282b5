using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting.Middleware;
using CartCall.LocalCloud.Acs;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Functions.Tests.Fuzz;

/// <summary>
/// The whole app as the fuzz test meets it: the local Functions host on loopback over Azurite, with the ACS, Event
/// Grid (subscribed to DeliverOffer, with the delivery key) and Web PubSub stand-ins, and a few merchants, agents,
/// sessions and offers for requests to find. The worker's warnings and errors are kept (<see cref="Logs"/>).
/// </summary>
public sealed class HttpFuzzFixture : IAsyncLifetime
{
    public const string Origin = "http://127.0.0.1:5173";
    public const string DeliveryKey = AppFixture.DeliveryKey;

    private Azurite? azurite;

    public FunctionsApp App { get; private set; } = default!;

    public AcsStandIn Acs { get; private set; } = default!;

    public EventGridStandIn EventGrid { get; private set; } = default!;

    public WebPubSubStandIn PubSub { get; private set; } = default!;

    public CapturedLogs Logs { get; } = new();

    /// <summary>Merchants that exist, each with its publishable key.</summary>
    public List<(string Id, string Key)> Merchants { get; } = [];

    /// <summary>Offers that exist: (offer, merchant, session).</summary>
    public List<(string OfferId, string MerchantId, string SessionId)> Offers { get; } = [];

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        Acs = await AcsStandIn.StartAsync(new AcsStandInOptions { RingTimeout = TimeSpan.FromSeconds(1) }, CancellationToken.None);
        PubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        var port = Azurite.FreePort();
        var topicKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        EventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions
        {
            TopicKey = topicKey,
            RetrySchedule = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)],
            Subscriptions =
            {
                new EventGridSubscriptionOptions
                {
                    Name = "deliver-offer",
                    Endpoint = new Uri($"http://127.0.0.1:{port}/api/offers/deliveries?code={DeliveryKey}"),
                    IncludedEventTypes = [OfferProposed.EventType],
                },
            },
        }, CancellationToken.None);

        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AppFixture.AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = EventGrid.Endpoint.AbsoluteUri,
            ["CartCall:EventGrid:TopicKey"] = topicKey,
            ["CartCall:EventGrid:DeliveryKey"] = DeliveryKey,
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
            ["CartCall:Calls:PublicBaseUrl"] = $"http://127.0.0.1:{port}/",
        };
        IdleSettings.AddTo(settings, IdleSettings.Once(TimeSpan.FromMinutes(10)));
        StripeSettings.AddTo(settings);
        App = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings,
            StorageConnectionString = azurite.ConnectionString,
            HttpPort = port,
            ConfigureServices = s => s.AddSingleton<ILoggerProvider>(Logs),
        });

        await SeedAsync();
    }

    /// <summary>A callback token as ACS signs them (the stand-in's own key, as its simulated calls use).</summary>
    public string AcsToken()
    {
        // The stand-in keeps its signer to itself (it signs the callbacks of the calls it simulates); the fuzz borrows
        // it to reach the callback handler past authentication.
        var signer = typeof(AcsStandIn).GetField("_signer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(Acs)!;
        return (string)signer.GetType().GetMethod("CreateToken")!.Invoke(signer, [Acs.Issuer, Acs.ResourceId, null, null])!;
    }

    private async Task SeedAsync()
    {
        using var admin = App.CreateClient();
        admin.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        // Fixed ids and keys, so a seed replays the same requests against the same world.
        for (var m = 0; m < 3; m++)
        {
            var id = $"m-fuzz-{m}";
            var key = $"pk_fuzz{m}_0123456789abcdefghijkl";
            var doc = AppFixture.MerchantDocument(id);
            doc["sourcePhoneNumber"] = "+12015550100";
            doc["allowedCountries"] = new[] { "US", "GB" };
            doc["publishableKey"] = key;
            var response = await admin.PutAsJsonAsync($"/api/merchants/{id}", doc);
            response.EnsureSuccessStatusCode();
            Merchants.Add((id, key));
            (await admin.PutAsJsonAsync($"/api/merchants/{id}/agents/agent-1", new { displayName = "Agent", available = true, phoneNumber = "+12015550999", priority = 0 }))
                .EnsureSuccessStatusCode();
        }

        var store = App.Services.GetRequiredService<TableOfferStore>();
        foreach (var (merchant, _) in Merchants)
        {
            for (var s = 0; s < 3; s++)
            {
                var session = "s-fuzz-" + s;
                var offer = Features.Offers.OfferEvents.Offer(merchant, session, offerId: $"of_fuzz_{merchant[^1]}_{s}");
                Assert.True(await store.TryAddAsync(offer, CancellationToken.None));
                Offers.Add((offer.OfferId, merchant, session));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Acs is not null) await Acs.DisposeAsync();
        if (EventGrid is not null) await EventGrid.DisposeAsync();
        if (PubSub is not null) await PubSub.DisposeAsync();
        if (azurite is not null) await azurite.DisposeAsync();
    }
}

/// <summary>The worker's log entries at warning and above, for checks that nothing escaped as unhandled.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries => [.. entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.entries.Enqueue((logLevel, category, formatter(state, exception), exception));
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class HttpFuzzCollection : ICollectionFixture<HttpFuzzFixture>
{
    public const string Name = "fuzz: the app with its stand-ins";
}
