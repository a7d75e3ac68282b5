using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.LocalCloud.Acs;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>
/// Retries, dead letters, replays and a worker killed mid-retry, on <c>offer.accepted</c> (a fan-out the accept starts
/// and does not wait for, with no deadline), over the real app with its worker in a process of its own.
/// </summary>
[Collection(HooksAppCollection.Name)]
public sealed class HookRetryTests(HooksAppFixture app, ITestOutputHelper output)
{
    private static int numbers;

    private static string NewNumber() => "+1201557" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(string Merchant, string Offer, string Session)> MerchantWithOfferAsync()
    {
        var merchant = await app.CreateMerchantAsync();
        var agent = NewNumber();
        app.Acs.Parties[agent] = PartyScript.NeverAnswers();
        await app.AddAgentAsync(merchant, "bob", agent);
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        return (merchant, await app.NewOfferAsync(merchant, session), session);
    }

    /// <summary>Accepts the offer (the shopper's phone never answers: the call itself does not matter here).</summary>
    private async Task AcceptAsync(string merchant, string offer, string session)
    {
        var shopper = NewNumber();
        app.Acs.Parties[shopper] = PartyScript.NeverAnswers();
        await app.AcceptAsync(merchant, offer, session, shopper);
    }

    private Task<HookDelivery> DeliveryAsync(string merchant, string key, Func<HookDelivery, bool> done, TimeSpan? timeout = null) =>
        HooksAppFixture.WaitForAsync(async () => await app.Hooks.GetDeliveryAsync(merchant, key, CancellationToken.None) is { } d && done(d) ? d : null,
            $"delivery {key}", timeout);

    [Fact]
    public async Task AHookFailingTwice_IsRetriedUnderOneKey_HonouringRetryAfter_AndSucceeds()
    {
        var (merchant, offer, session) = await MerchantWithOfferAsync();
        await using var server = await LoopbackHookServer.StartAsync(async (context, n) =>
        {
            if (n <= 2)
            {
                context.Response.StatusCode = n == 1 ? 503 : 429;
                context.Response.Headers.RetryAfter = "1";
                return;
            }

            await context.Response.WriteAsJsonAsync(new { action = "continue" });
        });
        await app.RegisterAsync(merchant, "orders", HooksAppFixture.Webhook(server.Url, HookPoints.OfferAccepted, attempts: 5));

        await AcceptAsync(merchant, offer, session);
        var key = HookPlan.IdempotencyKey(HookPoints.OfferAccepted, offer, "orders");
        var delivery = await DeliveryAsync(merchant, key, d => d.Status == HookDeliveryStatus.Succeeded);

        Assert.Equal(3, delivery.Attempts);
        var requests = server.Requests.OrderBy(r => r.Number).ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(key, r.Headers[WebhookHookRunner.IdempotencyKeyHeader]));
        Assert.Equal(["1", "2", "3"], requests.Select(r => r.Headers[WebhookHookRunner.AttemptHeader]));
        // Every attempt sends the same bytes (the CloudEvent's id is the key), and each is signed.
        Assert.Single(requests.Select(r => Convert.ToBase64String(r.Body)).Distinct());
    }

    [Fact]
    public async Task AHookThatNeverAnswers_IsADeadLetter_Listed_AndReplayedUnderItsKey()
    {
        var (merchant, offer, session) = await MerchantWithOfferAsync();
        var healthy = false;
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            if (!Volatile.Read(ref healthy))
            {
                context.Response.StatusCode = 500;
                return;
            }

            await context.Response.WriteAsJsonAsync(new { action = "continue" });
        });
        await app.RegisterAsync(merchant, "erp", HooksAppFixture.Webhook(server.Url, HookPoints.OfferAccepted, attempts: 2));

        await AcceptAsync(merchant, offer, session);
        var key = HookPlan.IdempotencyKey(HookPoints.OfferAccepted, offer, "erp");
        await DeliveryAsync(merchant, key, d => d.Status == HookDeliveryStatus.Failed);

        using var client = app.AdminClient();
        var failed = await client.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/hooks/deliveries?status=failed");
        var listed = Assert.Single(failed!["deliveries"]!.AsArray());
        Assert.Equal(key, listed!["idempotencyKey"]!.GetValue<string>());
        Assert.Equal(2, listed["attempts"]!.GetValue<int>());
        Assert.Equal("http 500", listed["lastStatus"]!.GetValue<string>());
        Assert.Equal(2, server.Count);

        Volatile.Write(ref healthy, true);
        var replay = await client.PostAsync($"/api/merchants/{merchant}/hooks/deliveries/{key}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        var done = await DeliveryAsync(merchant, key, d => d.Status == HookDeliveryStatus.Succeeded);

        Assert.Equal(3, done.Attempts);
        Assert.Equal(1, done.Replays);
        Assert.Equal(3, server.Count);
        Assert.All(server.Requests, r => Assert.Equal(key, r.Headers[WebhookHookRunner.IdempotencyKeyHeader]));
        // A delivery that succeeded is not replayed.
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"/api/merchants/{merchant}/hooks/deliveries/{key}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/merchants/{merchant}/hooks/deliveries/hk_nothing/replay", null)).StatusCode);
    }

    [Fact]
    public async Task ManyHooksAtOnePoint_AllRunOnce_WithinTheMerchantsWindow()
    {
        const int Hooks = 12;
        var (merchant, offer, session) = await MerchantWithOfferAsync();
        var inFlight = 0;
        var most = 0;
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen)
            {
            }

            await Task.Delay(150);
            Interlocked.Decrement(ref inFlight);
            await context.Response.WriteAsJsonAsync(new { action = "continue" });
        });
        for (var i = 0; i < Hooks; i++)
        {
            await app.RegisterAsync(merchant, $"h{i:D2}", HooksAppFixture.Webhook(new Uri(server.Url, $"?n={i}"), HookPoints.OfferAccepted));
        }

        await AcceptAsync(merchant, offer, session);
        await HooksAppFixture.WaitForAsync(async () =>
        {
            var done = await app.Hooks.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Succeeded), CancellationToken.None);
            return done.Count == Hooks ? done : null;
        }, "every hook's delivery");

        Assert.Equal(Hooks, server.Count);
        Assert.Equal(Hooks, server.Requests.Select(r => r.Headers[WebhookHookRunner.IdempotencyKeyHeader]).Distinct().Count());
        Assert.True(most <= HooksAppFixture.MerchantConcurrency, $"{most} hooks ran at once; the merchant's window is {HooksAppFixture.MerchantConcurrency}");
        Assert.True(most > 1, "the hooks ran one at a time");
    }

    [Fact]
    public async Task KillingTheWorkerMidRetry_LosesNoInvocation_AndCompletesEachKeyOnce()
    {
        const int Hooks = 3;
        var (merchant, offer, session) = await MerchantWithOfferAsync();
        var answered = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var failures = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var server = await LoopbackHookServer.StartAsync(async (context, _) =>
        {
            var key = context.Request.Headers[WebhookHookRunner.IdempotencyKeyHeader].ToString();
            // Each hook fails its first two attempts; its retries wait 2 s then 4 s (durable timers) in between.
            if (failures.AddOrUpdate(key, 1, (_, n) => n + 1) <= 2)
            {
                context.Response.StatusCode = 503;
                return;
            }

            answered.AddOrUpdate(key, 1, (_, n) => n + 1);
            await context.Response.WriteAsJsonAsync(new { action = "continue" });
        });
        for (var i = 0; i < Hooks; i++)
        {
            await app.RegisterAsync(merchant, $"k{i}", HooksAppFixture.Webhook(new Uri(server.Url, $"?n={i}"), HookPoints.OfferAccepted, attempts: 5, firstIntervalMs: 2_000));
        }

        await AcceptAsync(merchant, offer, session);
        var keys = Enumerable.Range(0, Hooks).Select(i => HookPlan.IdempotencyKey(HookPoints.OfferAccepted, offer, $"k{i}")).ToList();

        // Every hook has failed once and its first attempt is recorded: each is now waiting on its retry timer.
        foreach (var key in keys)
        {
            await DeliveryAsync(merchant, key, d => d.Status == HookDeliveryStatus.Retrying);
        }

        // Aimed at the retry wait (the activities' results reach the engine right after their records are written); the
        // assertions below hold wherever the kill lands.
        await Task.Delay(300);
        app.App.Host.Supervisor.KillCurrentWorker();
        output.WriteLine($"killed the worker with {server.Count} requests made");

        foreach (var key in keys)
        {
            var delivery = await DeliveryAsync(merchant, key, d => d.Status == HookDeliveryStatus.Succeeded, TimeSpan.FromSeconds(90));
            output.WriteLine($"{key}: {delivery.Attempts} attempts, {failures[key]} requests");

            // Every request the hook saw is an attempt on the invocation's record (none unaccounted for).
            Assert.Equal(delivery.Attempts, failures[key]);
        }

        // Nothing lost, nothing doubled: every key completed, each exactly once.
        Assert.Equal(keys.Order(StringComparer.Ordinal), answered.Keys.Order(StringComparer.Ordinal));
        Assert.All(answered.Values, n => Assert.Equal(1, n));
    }
}
