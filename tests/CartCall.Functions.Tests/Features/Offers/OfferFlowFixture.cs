using System.Diagnostics;
using System.Net.Http.Json;
using CartCall.Functions.Hosting;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using CartCall.Functions.Hosting.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Trace;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>
/// The whole offer path on real sockets: Azurite, the Event Grid stand-in and the app on Kestrel, with the stand-in
/// subscribed to the app's DeliverOffer webhook exactly as the Bicep subscribes the real topic.
/// </summary>
public class OfferFlowFixture : IAsyncLifetime
{
    public const string DeliveryKey = "delivery-key-for-tests";

    private Azurite? azurite;

    public ManualClock Clock { get; } = new();

    /// <summary>
    /// The spans the app exported, through its own OpenTelemetry pipeline (an in-memory exporter added to it). Workers
    /// of other collections share this process and its activity sources, so tests pick theirs by ids.
    /// </summary>
    public LockedList<Activity> Spans { get; } = new();

    public EventGridStandIn EventGrid { get; private set; } = default!;

    /// <summary>Where DeliverOffer pushes offers to shoppers' browsers.</summary>
    public WebPubSubStandIn PubSub { get; private set; } = default!;

    public FunctionsApp App { get; private set; } = default!;

    public Azurite Storage => azurite!;

    public HttpClient Client { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        PubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        var appPort = Azurite.FreePort();
        var topicKey = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        EventGrid = await EventGridStandIn.StartAsync(
            new EventGridStandInOptions
            {
                TopicKey = topicKey,
                RetrySchedule = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)],
                Subscriptions =
                [
                    new EventGridSubscriptionOptions
                    {
                        Name = "deliver-offer",
                        Endpoint = new Uri($"http://127.0.0.1:{appPort}/api/offers/deliveries?code={DeliveryKey}"),
                        IncludedEventTypes = ["CartCall.OfferProposed"],
                    },
                ],
            },
            CancellationToken.None);

        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AppFixture.AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = EventGrid.Endpoint.ToString(),
            ["CartCall:EventGrid:TopicKey"] = topicKey,
            ["CartCall:EventGrid:DeliveryKey"] = DeliveryKey,
            ["CartCall:Preferences:CookieSigningKey"] = AppFixture.CookieSigningKey,
            ["CartCall:WebPubSub:ConnectionString"] = PubSub.ConnectionString,
            ["CartCall:WebPubSub:Hub"] = "cartcall",
            // The call features need ACS settings to start; nothing listens there in this collection.
            ["CartCall:Acs:ConnectionString"] = $"endpoint=http://127.0.0.1:{Azurite.FreePort()}/;accesskey={Convert.ToBase64String(new byte[32])}",
            ["CartCall:Acs:ImmutableResourceId"] = "unused-in-this-collection",
            ["CartCall:Acs:OpenIdConfigurationUri"] = $"http://127.0.0.1:{Azurite.FreePort()}/calling/.well-known/acsopenidconfiguration",
        };
        IdleSettings.AddTo(settings, IdleSchedule);
        StripeSettings.AddTo(settings);
        App = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings,
            StorageConnectionString = azurite.ConnectionString,
            HttpPort = appPort,
            ConfigureServices = s =>
            {
                s.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock));
                s.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
                ConfigureServices(s);
            },
        });
        Client = App.CreateClient();
    }

    /// <summary>The idle schedule's settings: one check a second after the last event, unless a derived fixture says otherwise.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> IdleSchedule => IdleSettings.Once(TimeSpan.FromSeconds(1));

    /// <summary>Replaces app services for a derived fixture.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await EventGrid.DisposeAsync();
        await PubSub.DisposeAsync();
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }

    public async Task<string> CreateMerchantAsync(Action<Dictionary<string, object?>>? tweak = null, int availableAgents = 1)
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["scoring"] = new { minScore = 0.5, minCartValue = 50 };
        tweak?.Invoke(doc);
        using var admin = new HttpRequestMessage(HttpMethod.Put, $"/api/merchants/{id}") { Content = JsonContent.Create(doc) };
        admin.Headers.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        (await Client.SendAsync(admin)).EnsureSuccessStatusCode();
        for (var i = 0; i < availableAgents; i++)
        {
            using var agent = new HttpRequestMessage(HttpMethod.Put, $"/api/merchants/{id}/agents/agent-{i}")
            {
                Content = JsonContent.Create(new { displayName = $"Agent {i}", available = true, phoneNumber = "+14255550100" }),
            };
            agent.Headers.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
            (await Client.SendAsync(agent)).EnsureSuccessStatusCode();
        }

        return id;
    }
}

/// <summary>A list the exporter may add to from any thread while a test reads it.</summary>
public sealed class LockedList<T> : ICollection<T>
{
    private readonly List<T> items = [];

    public int Count
    {
        get
        {
            lock (items)
            {
                return items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public IReadOnlyList<T> Snapshot()
    {
        lock (items)
        {
            return [.. items];
        }
    }

    public void Add(T item)
    {
        lock (items)
        {
            items.Add(item);
        }
    }

    public void Clear()
    {
        lock (items)
        {
            items.Clear();
        }
    }

    public bool Contains(T item)
    {
        lock (items)
        {
            return items.Contains(item);
        }
    }

    public void CopyTo(T[] array, int arrayIndex)
    {
        lock (items)
        {
            items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(T item)
    {
        lock (items)
        {
            return items.Remove(item);
        }
    }

    public IEnumerator<T> GetEnumerator() => Snapshot().GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

[CollectionDefinition(Name)]
public sealed class OfferFlowCollection : ICollectionFixture<OfferFlowFixture>
{
    public const string Name = "offer flow on real sockets";
}
