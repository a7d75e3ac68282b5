using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Domain.Experiments;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Storage;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.WebPubSub;
using CartCall.Testing;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>
/// Issue 9's crash test: a burst of signed cart events, the worker killed as kill -9 would twice in the middle (the
/// local Functions host restarts it), and a storefront that sends again every event that did not get its 202. Every
/// event answered 202 must keep its decision, its session's re-evaluation and its offer, and nothing may be doubled.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string DeliveryKey = "crash-delivery-key";
    private const int Sessions = 48;
    private const int Concurrency = 12;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(150);

    private Azurite? azurite;
    private EventGridStandIn? eventGrid;
    private WebPubSubStandIn? pubSub;
    private FunctionsApp? app;

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        pubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions(), CancellationToken.None);
        var appPort = Azurite.FreePort();
        var topicKey = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        eventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions
        {
            TopicKey = topicKey,
            // While the worker is down deliveries fail; Event Grid keeps trying, as the real one does.
            RetrySchedule = [.. Enumerable.Repeat(TimeSpan.FromMilliseconds(500), 29)],
            Subscriptions =
            [
                new EventGridSubscriptionOptions
                {
                    Name = "deliver-offer",
                    Endpoint = new Uri($"http://127.0.0.1:{appPort}/api/offers/deliveries?code={DeliveryKey}"),
                    IncludedEventTypes = ["CartCall.OfferProposed"],
                    MaxDeliveryAttempts = 30,
                },
            ],
        }, CancellationToken.None);

        var settings = new Dictionary<string, string?>
        {
            ["CartCall:Storage:ConnectionString"] = azurite.ConnectionString,
            ["CartCall:Storage:CreateIfMissing"] = "true",
            ["CartCall:Admin:Key"] = AppFixture.AdminKey,
            ["CartCall:EventGrid:TopicEndpoint"] = eventGrid.Endpoint.ToString(),
            ["CartCall:EventGrid:TopicKey"] = topicKey,
            ["CartCall:EventGrid:DeliveryKey"] = DeliveryKey,
            ["CartCall:Preferences:CookieSigningKey"] = AppFixture.CookieSigningKey,
            ["CartCall:WebPubSub:ConnectionString"] = pubSub.ConnectionString,
            ["CartCall:WebPubSub:Hub"] = "cartcall",
            ["CartCall:Acs:ConnectionString"] = $"endpoint=http://127.0.0.1:{Azurite.FreePort()}/;accesskey={Convert.ToBase64String(new byte[32])}",
            ["CartCall:Acs:ImmutableResourceId"] = "unused-in-this-test",
            ["CartCall:Acs:OpenIdConfigurationUri"] = $"http://127.0.0.1:{Azurite.FreePort()}/calling/.well-known/acsopenidconfiguration",
        };
        // One idle check 2 s into the silence, and the session closed (its outcome recorded) at 4 s.
        IdleSettings.AddTo(settings, IdleSettings.Schedule([TimeSpan.FromSeconds(2)], TimeSpan.Zero, TimeSpan.FromSeconds(4)));
        StripeSettings.AddTo(settings);
        app = await FunctionsApp.StartAsync(new FunctionsAppOptions
        {
            Settings = settings,
            StorageConnectionString = azurite.ConnectionString,
            HttpPort = appPort,
            WorkerProcess = true,
        });
    }

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        if (eventGrid is not null) await eventGrid.DisposeAsync();
        if (pubSub is not null) await pubSub.DisposeAsync();
        if (azurite is not null) await azurite.DisposeAsync();
    }

    /// <summary>What the storefront saw of one event.</summary>
    private sealed record Sent(string SessionId, string EventId, int Attempts, HttpStatusCode FirstAnswer, bool Duplicate, bool OfferProposed);

    [Fact]
    public async Task BurstOfEvents_WithTheWorkerKilledTwice_KeepsEveryDecisionReevaluationAndOffer_AndDoublesNothing()
    {
        var merchant = await CreateMerchantAsync();
        var events = Burst(merchant);
        var answered = new ConcurrentBag<Sent>();
        var kills = 0;
        var leftBehind = new ConcurrentBag<IReadOnlyList<string>>();
        var watch = Stopwatch.StartNew();

        // The burst: each session's events in order, several sessions at once; two kills while it runs.
        using var gate = new SemaphoreSlim(Concurrency);
        var killer = Task.Run(async () =>
        {
            foreach (var at in new[] { events.Count / 3, 2 * events.Count / 3 })
            {
                while (answered.Count < at)
                {
                    await Task.Delay(5);
                }

                app!.Host.Supervisor.KillCurrentWorker();
                Interlocked.Increment(ref kills);

                // With the worker dead nothing is being carried out: the outbox rows now are what the kill cut off.
                await Task.Delay(200);
                leftBehind.Add(await OutboxRowsAsync());
            }
        });
        await Task.WhenAll(events.GroupBy(e => e.SessionId).Select(async session =>
        {
            await gate.WaitAsync();
            try
            {
                foreach (var e in session)
                {
                    answered.Add(await SendUntilAcceptedAsync(merchant, e));
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        await killer;
        var burst = watch.Elapsed;

        // Everything follows up: each session is checked once it is quiet, offered (or held out), and closed.
        var store = new TableSessionStore(new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite!.ConnectionString })), new SessionCache(1));
        var settled = await SettledAsync(merchant, store, events.Select(e => e.SessionId).Distinct().ToList());
        var settle = watch.Elapsed - burst;

        // Event Grid may still be retrying deliveries that failed while the worker was down (their answer lost).
        await Task.Delay(TimeSpan.FromSeconds(2));
        var offers = new TableServiceClient(azurite.ConnectionString).GetTableClient(StorageNames.OffersTable);
        var decisions = new Dictionary<string, IReadOnlyList<StoredDecision>>();
        foreach (var session in settled)
        {
            decisions[session] = await store.ListDecisionsAsync(merchant, session, 100, CancellationToken.None);
        }

        var allDecisions = decisions.Values.SelectMany(d => d).ToList();
        var offerRows = new List<TableEntity>();
        await foreach (var row in offers.QueryAsync<TableEntity>(e => e.PartitionKey.CompareTo(merchant + "|") >= 0 && e.PartitionKey.CompareTo(merchant + "}") < 0))
        {
            offerRows.Add(row);
        }

        var deliveries = eventGrid!.Deliveries.Where(d => d.EventType == OfferProposed.EventType).ToList();
        var proposing = allDecisions.Where(d => d.Propose).ToList();
        var treatmentOffers = proposing.Where(d => d.Arm == ExperimentArm.Treatment).ToList();

        output.WriteLine($"Sessions {Sessions}, events {events.Count}, concurrency {Concurrency}, worker kills {kills}, restarts {app!.Host.Supervisor.Restarts}.");
        output.WriteLine($"Answers: {answered.Count} events answered 202; {answered.Count(a => a.Attempts == 1)} at the first try, " +
            $"{answered.Count(a => a.Attempts > 1)} only after retries ({answered.Sum(a => a.Attempts) - answered.Count} retries); " +
            $"first answers {string.Join(", ", answered.GroupBy(a => (int)a.FirstAnswer).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))} x{g.Count()}"))}; " +
            $"{answered.Count(a => a.Duplicate)} retries found their event already applied.");
        output.WriteLine($"Decisions {allDecisions.Count} ({allDecisions.Count(d => d.Trigger != "idle")} on events, {allDecisions.Count(d => d.Trigger == "idle")} idle checks); " +
            $"offer decisions {proposing.Count} ({treatmentOffers.Count} treatment, {proposing.Count - treatmentOffers.Count} held out); " +
            $"offers stored {offerRows.Count}; Event Grid deliveries of offers {deliveries.Count} attempts, {deliveries.Count(d => d.StatusCode == 200)} accepted, " +
            $"{deliveries.Where(d => d.StatusCode == 200).GroupBy(d => d.EventId).Count(g => g.Count() > 1)} offers delivered more than once and stored once.");
        foreach (var (rows, i) in leftBehind.Select((r, i) => (r, i)))
        {
            output.WriteLine($"Kill {i + 1} cut off the follow-ups of committed saves: {rows.Count} outbox rows ({string.Join(", ", rows.GroupBy(r => r).Select(g => $"{g.Key} x{g.Count()}"))}).");
        }

        output.WriteLine($"Burst {burst.TotalSeconds:F1} s; everything followed up {settle.TotalSeconds:F1} s later.");

        // Every event answered 202 keeps its decision, exactly once.
        Assert.Equal(events.Count, answered.Count);
        foreach (var sent in answered)
        {
            Assert.Single(decisions[sent.SessionId], d => d.EventId == sent.EventId);
        }

        // Every session was re-evaluated after its last event (or offered on it) and closed: nothing left pending.
        Assert.Equal(Sessions, settled.Count);
        foreach (var (session, list) in decisions)
        {
            Assert.Single(list, d => d.Propose); // one offer per session (the merchant's cap), decided once
            Assert.Equal(list.Count, list.Select(d => d.EventId).Distinct().Count()); // no cause decided twice
            var offeredOnEvent = list.Any(d => d.Propose && d.Trigger != "idle");
            Assert.True(offeredOnEvent || list.Any(d => d.Trigger == "idle"), $"{session} was never checked while quiet");
        }

        // Every treatment offer was published and stored once (DeliverOffer stores an id once, however often Event Grid
        // delivers it); no control offer was.
        Assert.Equal(treatmentOffers.Count, offerRows.Count);
        Assert.Equal(treatmentOffers.Select(d => d.OfferId).Order(), offerRows.Select(r => r.RowKey).Order());
        Assert.All(treatmentOffers, d => Assert.Contains(deliveries, x => x.EventId == d.OfferId));
        var heldOut = settled.Count(s => HoldoutAssignment.Assign(merchant, s, 0.2) == ExperimentArm.Control);
        Assert.InRange(heldOut, 1, Sessions - 1);
        Assert.Equal(heldOut, proposing.Count(d => d.Arm == ExperimentArm.Control));
        Assert.True(kills == 2 && app.Host.Supervisor.Restarts >= 2, $"kills {kills}, restarts {app.Host.Supervisor.Restarts}");
    }

    /// <summary>The kinds of every outbox row in the sessions table right now.</summary>
    private async Task<IReadOnlyList<string>> OutboxRowsAsync()
    {
        var table = new TableServiceClient(azurite!.ConnectionString).GetTableClient(StorageNames.SessionsTable);
        var kinds = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.RowKey.CompareTo("o|") >= 0 && e.RowKey.CompareTo("o}") < 0))
        {
            kinds.Add(row.GetString("Kind"));
        }

        return kinds;
    }

    private async Task<string> CreateMerchantAsync()
    {
        using var admin = app!.CreateClient();
        admin.DefaultRequestHeaders.Add(AdminKeyMiddleware.Header, AppFixture.AdminKey);
        // A fixed id (the storage is this test's own): which sessions are held out is then known, not luck.
        const string id = "m-crash-test";
        var doc = AppFixture.MerchantDocument(id);
        // Events in checkout score below the bar and a declined card above it; two seconds of silence lift any checkout
        // over it. So some sessions are offered on an event, the others by their idle check.
        doc["scoring"] = new
        {
            minScore = 0.45,
            minCartValue = 0,
            weightOverrides = new Dictionary<string, double>
            {
                ["intercept"] = -4.5, ["reached_checkout"] = 4, ["idle_seconds"] = 20, ["payment_failures"] = 5, ["cart_value"] = 0, ["cart_margin"] = 0,
                ["item_count"] = 0, ["distinct_items"] = 0, ["seconds_in_checkout"] = 0, ["shipping_dwell_seconds"] = 0, ["coupon_rejections"] = 0,
                ["revisits"] = 0, ["items_removed"] = 0, ["cart_views"] = 0, ["page_views"] = 0,
            },
        };
        doc["dailyOfferBudget"] = 10_000;
        doc["frequencyCaps"] = new { maxOffersPerSession = 1, maxOffersPerShopperPerDay = 100, minMinutesBetweenOffers = 0, maxDismissalsPerSession = 1 };
        doc["experiment"] = new { holdoutShare = 0.2, attributionWindowHours = 24 };
        (await admin.PutAsJsonAsync($"/api/merchants/{id}", doc)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/merchants/{id}/agents/a1", new { displayName = "A", available = true, phoneNumber = "+14255550100" })).EnsureSuccessStatusCode();
        return id;
    }

    /// <summary>An event of the burst; its body is made when it is first sent (stamped then), and a retry sends the same body.</summary>
    private sealed record BurstEvent(string SessionId, string EventId, string Type)
    {
        public object? Body { get; set; }
    }

    /// <summary>Each session builds a cart and enters checkout; every other one has a card declined.</summary>
    private static List<BurstEvent> Burst(string merchant)
    {
        var events = new List<BurstEvent>();
        for (var s = 0; s < Sessions; s++)
        {
            var session = $"s-crash-{s}";
            var types = s % 2 == 0
                ? new[] { "item_added", "checkout_started", "shipping_viewed", "payment_failed" }
                : ["item_added", "checkout_started", "shipping_viewed"];
            for (var i = 0; i < types.Length; i++)
            {
                var id = $"{merchant}-{session}-{i}";
                events.Add(new BurstEvent(session, id, types[i]));
            }
        }

        return events;
    }

    /// <summary>Sends as a storefront does: anything but a 202 (or no answer at all) is sent again after a pause, freshly signed.</summary>
    private async Task<Sent> SendUntilAcceptedAsync(string merchant, BurstEvent e)
    {
        using var client = app!.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(15);
        e.Body ??= AppFixture.CartEvent(e.SessionId, e.Type, DateTimeOffset.UtcNow, eventId: e.EventId, price: 180m);
        HttpStatusCode? first = null;
        for (var attempt = 1; attempt <= 100; attempt++)
        {
            HttpStatusCode status = 0;
            JsonNode? body = null;
            try
            {
                using var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, e.Body));
                status = response.StatusCode;
                if (status == HttpStatusCode.Accepted)
                {
                    body = JsonNode.Parse(await response.Content.ReadAsStringAsync());
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // No answer: the worker died with the request in flight.
            }

            first ??= status;
            if (body is not null)
            {
                return new Sent(e.SessionId, e.EventId, attempt, first.Value, body["duplicate"]!.GetValue<bool>(), body["offerProposed"]!.GetValue<bool>());
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2_000, 100 * attempt)));
        }

        throw new InvalidOperationException($"Event {e.EventId} was never accepted.");
    }

    /// <summary>Waits until every session is closed with nothing pending and nothing left in its outbox; the sessions that got there.</summary>
    private async Task<List<string>> SettledAsync(string merchant, TableSessionStore store, IReadOnlyList<string> sessions)
    {
        var deadline = DateTime.UtcNow + Settle;
        var outcomes = new TableServiceClient(azurite!.ConnectionString).GetTableClient(StorageNames.OutcomesTable);
        var settled = new List<string>();
        while (true)
        {
            settled.Clear();
            foreach (var session in sessions)
            {
                var fresh = new TableSessionStore(new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString })), new SessionCache(1));
                var loaded = await fresh.GetAsync(merchant, session, CancellationToken.None);
                var outbox = await store.ListOutboxAsync(merchant, session, CancellationToken.None);
                var closed = false;
                await foreach (var _ in outcomes.QueryAsync<TableEntity>(o => o.RowKey == session && o.PartitionKey.CompareTo(merchant + "|") >= 0 && o.PartitionKey.CompareTo(merchant + "}") < 0))
                {
                    closed = true;
                }

                if (loaded is { ReevaluateAt: null } && outbox.Count == 0 && closed)
                {
                    settled.Add(session);
                }
            }

            if (settled.Count == sessions.Count || DateTime.UtcNow > deadline)
            {
                return settled;
            }

            await Task.Delay(500);
        }
    }
}
