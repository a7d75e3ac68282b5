using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Hosting;
using CartCall.LocalCloud.Simulator;

namespace CartCall.LocalCloud.Tests.Simulator;

public sealed class ShopperSimulatorTests
{
    private const string Secret = "whsec_test_secret_0123456789";

    private static SimulationOptions Options(string url = "http://127.0.0.1:7071/") => new()
    {
        AppUrl = new Uri(url),
        MerchantId = "demo",
        SigningSecret = Secret,
        Sessions = 12,
        Concurrency = 4,
        Rate = 100_000,
        TimeScale = 0,
        Seed = 7,
    };

    [Theory]
    [InlineData("http://10.0.0.5:7071/")]
    [InlineData("http://192.168.1.20/")]
    [InlineData("https://shop.example.com/")]
    [InlineData("http://127.0.0.1.nip.io/")]
    [InlineData("ftp://127.0.0.1/")]
    public void Simulator_RefusesATargetThatIsNotLoopback_BeforeSendingAnything(string url)
    {
        var handler = new FakeApp();

        var e = Assert.Throws<ArgumentException>(() => new ShopperSimulator(Options(url), handler));

        Assert.Contains("loopback", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task SimulateCommand_WithANonLoopbackUrl_ExitsWithBadArguments()
    {
        var code = await LocalCloudProgram.SimulateAsync(Options("http://203.0.113.9:7071/"), CancellationToken.None);

        Assert.Equal(LocalCloudProgram.ExitBadArguments, code);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7071/")]
    [InlineData("http://127.0.0.2:7071/")]
    [InlineData("http://localhost:7071/")]
    [InlineData("http://[::1]:7071/")]
    public void Options_AcceptLoopbackTargets(string url)
    {
        Assert.Empty(Options(url).Validate());
    }

    [Fact]
    public void Options_ListEveryProblemAtOnce()
    {
        var problems = (Options() with { Rate = 0, Concurrency = 0, DuplicateRate = 2, OutOfOrderRate = -1, TimeScale = -3, SigningSecret = "" }).Validate();

        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public async Task Run_SendsEveryVisitSignedAsAStorefrontWould_AndCountsWhatTheAppAnswered()
    {
        var app = new FakeApp();

        var summary = await new ShopperSimulator(Options(), app).RunAsync(CancellationToken.None);

        Assert.Equal(12, summary.SessionsFinished);
        Assert.Equal(summary.SessionsFinished, summary.SessionsCompleted + summary.SessionsAbandoned);
        Assert.Equal(app.Requests, summary.EventsSent);
        Assert.Equal(0, app.BadSignatures);
        Assert.Equal(summary.EventsSent, summary.Accepted);
        Assert.Equal(0, summary.Duplicates);
        Assert.Equal(app.OffersAnswered, summary.OffersProposed);
        Assert.Equal(summary.EventsSent, summary.Latency.Count);
        Assert.Equal(12, app.Sessions.Count);
    }

    [Fact]
    public async Task Run_WithDuplicatesAndReordering_RepeatsEventIdsAndSendsSomeOutOfShopperOrder()
    {
        var app = new FakeApp();
        var options = Options() with { Sessions = 30, DuplicateRate = 0.2, OutOfOrderRate = 0.2 };

        var summary = await new ShopperSimulator(options, app).RunAsync(CancellationToken.None);

        Assert.True(summary.Duplicates > 0);
        Assert.Equal(app.RepeatedIds, summary.Duplicates);
        Assert.Equal(summary.EventsSent - summary.Duplicates, app.DistinctIds);
        Assert.Contains(app.Sessions.Values, times => times.Zip(times.Skip(1)).Any(p => p.Second < p.First));
    }

    [Fact]
    public async Task Run_CountsClientAndServerErrorsSeparately()
    {
        var app = new FakeApp { FailEvery = 3 };

        var summary = await new ShopperSimulator(Options() with { Concurrency = 1 }, app).RunAsync(CancellationToken.None);

        Assert.True(summary.ServerErrors > 0);
        Assert.Equal(summary.EventsSent, summary.Accepted + summary.ServerErrors);
        Assert.Equal(summary.ServerErrors, summary.StatusCounts[503]);
        Assert.NotEmpty(summary.SampleErrors);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20_000)]
    public async Task Run_StampsEventsWithRealTimes_WhateverTheTimeScale(double timeScale)
    {
        var app = new FakeApp();
        var started = DateTimeOffset.UtcNow;

        await new ShopperSimulator(Options() with { TimeScale = timeScale }, app).RunAsync(CancellationToken.None);

        var finished = DateTimeOffset.UtcNow;
        foreach (var times in app.Sessions.Values)
        {
            // Never shopper time running ahead of the clock (the app refuses events from the future), and in order.
            // Without waiting, a visit's events are stamped a millisecond apart, ending when it starts.
            Assert.All(times, t => Assert.InRange(t, started.AddSeconds(-1), finished));
            Assert.Equal(times.Order(), times);
        }
    }

    [Fact]
    public void RealTimes_CompressShopperTimeByTheScale_AndKeepOrderWithoutWaiting()
    {
        var session = new ShopperSessionGenerator(5).Next(DateTimeOffset.UnixEpoch);
        var realStart = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

        var scaled = new ShopperSimulator(Options() with { TimeScale = 300 }, new FakeApp()).RealTimes(session.Events, realStart);
        var immediate = new ShopperSimulator(Options(), new FakeApp()).RealTimes(session.Events, realStart);

        Assert.All(session.Events, e => Assert.InRange((scaled[e.Message.EventId!] - (realStart + (e.Offset / 300))).Ticks, -1, 1));
        var n = session.Events.Count;
        Assert.Equal(session.Events.Select((e, i) => realStart.AddMilliseconds(i - (n - 1))), session.Events.Select(e => immediate[e.Message.EventId!]));
    }

    [Fact]
    public void SendOrder_WithoutReordering_KeepsShopperOrder()
    {
        var session = new ShopperSessionGenerator(3).Next(DateTimeOffset.UnixEpoch.AddYears(56));
        var simulator = new ShopperSimulator(Options(), new FakeApp());

        var order = simulator.SendOrder(session.Events, new Random(1));

        Assert.Equal(session.Events.Select(e => e.Message.EventId), order.Select(e => e.Message.EventId));
    }

    [Fact]
    public void Pacer_RefusesARateThatIsNotPositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventPacer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventPacer(double.NaN));
    }

    [Fact]
    public void LatencySummary_UsesNearestRankPercentiles()
    {
        var summary = LatencySummary.From(Enumerable.Range(1, 100).Select(i => (double)i).ToList());

        Assert.Equal((50.0, 95.0, 99.0, 100.0), (summary.P50Ms, summary.P95Ms, summary.P99Ms, summary.MaxMs));
        Assert.Equal(LatencySummary.Empty, LatencySummary.From([]));
    }

    /// <summary>
    /// The app's cart-events contract in memory: verifies the signature with the app's own verifier, parses with the
    /// app's own mapper, and answers 202 with the app's answer shape, duplicate when the event id was seen.
    /// </summary>
    private sealed class FakeApp : HttpMessageHandler
    {
        private readonly ConcurrentDictionary<string, byte> seen = new();
        private int requests;
        private int badSignatures;
        private int repeated;
        private int offersAnswered;

        public int? FailEvery { get; init; }

        public int Requests => requests;

        public int BadSignatures => badSignatures;

        public int RepeatedIds => repeated;

        public int DistinctIds => seen.Count;

        public int OffersAnswered => offersAnswered;

        /// <summary>Each session's event times in the order they arrived.</summary>
        public ConcurrentDictionary<string, List<DateTimeOffset>> Sessions { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref requests);
            Assert.Equal("/api/merchants/demo/cart-events", request.RequestUri!.AbsolutePath);
            Assert.Equal("application/json", request.Content!.Headers.ContentType!.MediaType);
            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var signature = request.Headers.GetValues(WebhookSignatures.CartCallHeader).Single();
            if (WebhookSignatures.VerifyCartCall(signature, body, [Secret], DateTimeOffset.UtcNow) is not null)
            {
                Interlocked.Increment(ref badSignatures);
                return new HttpResponseMessage(HttpStatusCode.Unauthorized);
            }

            if (FailEvery is { } every && n % every == 0)
            {
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("{\"title\":\"storage down\"}") };
            }

            var message = JsonSerializer.Deserialize<CartEventMessage>(body, AppJson.Options)!;
            var (domain, problems) = CartEventMapper.ToDomain(message, "USD");
            Assert.True(domain is not null, string.Join(" ", problems));

            var duplicate = !seen.TryAdd(message.EventId!, 0);
            if (duplicate)
            {
                Interlocked.Increment(ref repeated);
            }
            else
            {
                var times = Sessions.GetOrAdd(message.SessionId!, _ => []);
                lock (times)
                {
                    times.Add(message.OccurredAt!.Value);
                }
            }

            var offer = !duplicate && message.Type == "payment_failed";
            if (offer)
            {
                Interlocked.Increment(ref offersAnswered);
            }

            var answer = new CartEventAccepted(message.EventId!, duplicate, 0.5, "building_cart", offer, offer ? "of_1" : null);
            return new HttpResponseMessage(HttpStatusCode.Accepted)
            {
                Content = new StringContent(JsonSerializer.Serialize(answer, AppJson.Options), Encoding.UTF8, "application/json"),
            };
        }
    }
}
