using System.Text.Json;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Hosting;
using CartCall.Domain.Carts;
using CartCall.LocalCloud.Simulator;

namespace CartCall.LocalCloud.Tests.Simulator;

public sealed class ShopperSessionGeneratorTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);

    private static List<SimulatedSession> Generate(int seed, int count, ShopperSessionGeneratorOptions? options = null)
    {
        var generator = new ShopperSessionGenerator(seed, options);
        return Enumerable.Range(0, count).Select(i => generator.Next(Start.AddMinutes(i))).ToList();
    }

    private static int TotalQuantity(CartEventMessage m) => m.Cart!.Items!.Sum(i => i.Quantity);

    [Fact]
    public void Sessions_OnlyUseKnownEventTypes_AndEveryEventPassesTheAppsOwnValidation()
    {
        var sessions = Generate(seed: 11, count: 300);

        foreach (var e in sessions.SelectMany(s => s.Events))
        {
            Assert.Contains(e.Message.Type, CartEventTypes.AllWireNames);
            var (domain, problems) = CartEventMapper.ToDomain(e.Message, "USD");
            Assert.True(domain is not null, $"{e.Message.EventId}: {string.Join(" ", problems)}");
        }
    }

    [Fact]
    public void Sessions_StartWithAPageView_AndTimesStrictlyIncreaseWithinEach()
    {
        foreach (var session in Generate(seed: 12, count: 300))
        {
            Assert.NotEmpty(session.Events);
            Assert.Equal("page_viewed", session.Events[0].Message.Type);
            Assert.Equal(TimeSpan.Zero, session.Events[0].Offset);
            for (var i = 1; i < session.Events.Count; i++)
            {
                Assert.True(session.Events[i].Offset > session.Events[i - 1].Offset, $"{session.SessionId} event {i} is not after event {i - 1}");
                Assert.True(session.Events[i].Message.OccurredAt > session.Events[i - 1].Message.OccurredAt);
            }

            Assert.All(session.Events, e => Assert.Equal(e.Message.OccurredAt, session.Events[0].Message.OccurredAt + e.Offset));
        }
    }

    [Fact]
    public void Carts_ChangeOnlyOnAddAndRemove_AndStayConsistentWithTheCatalog()
    {
        var catalog = ShopperSessionGeneratorOptions.DefaultCatalog.ToDictionary(c => c.Sku);
        foreach (var session in Generate(seed: 13, count: 300))
        {
            CartEventMessage? previous = null;
            foreach (var m in session.Events.Select(e => e.Message))
            {
                var items = m.Cart!.Items!;
                Assert.Equal(items.Count, items.Select(i => i.Sku).Distinct().Count());
                Assert.All(items, i =>
                {
                    Assert.True(i.Quantity > 0);
                    Assert.Equal(catalog[i.Sku!].UnitPrice, i.UnitPrice);
                    Assert.Equal(catalog[i.Sku!].UnitCost, i.UnitCost);
                });

                var before = previous is null ? 0 : TotalQuantity(previous);
                switch (m.Type)
                {
                    case "item_added":
                        Assert.True(TotalQuantity(m) > before, $"{m.EventId}: an add did not grow the cart");
                        break;
                    case "item_removed":
                        Assert.True(TotalQuantity(m) < before, $"{m.EventId}: a removal did not shrink the cart");
                        break;
                    default:
                        Assert.Equal(before, TotalQuantity(m));
                        break;
                }

                if (m.Type is "cart_viewed" or "checkout_started" or "shipping_viewed" or "coupon_rejected" or "payment_failed" or "order_completed")
                {
                    Assert.NotEmpty(items);
                }

                previous = m;
            }
        }
    }

    [Fact]
    public void Sessions_UseOneCurrency_TheConfiguredOne()
    {
        var sessions = Generate(seed: 14, count: 100, new ShopperSessionGeneratorOptions { Currency = "EUR" });

        var currencies = sessions.SelectMany(s => s.Events).Select(e => e.Message.Cart!.Currency).Distinct().ToList();

        Assert.Equal(["EUR"], currencies);
    }

    [Fact]
    public void CompletedSessions_EndWithOrderCompleted_AndAbandonedOnesNeverContainIt()
    {
        var sessions = Generate(seed: 15, count: 500);

        Assert.Contains(sessions, s => s.Outcome == SessionOutcome.Completed);
        Assert.Contains(sessions, s => s.Outcome == SessionOutcome.Abandoned);
        foreach (var s in sessions)
        {
            var types = s.Events.Select(e => e.Message.Type).ToList();
            if (s.Outcome == SessionOutcome.Completed)
            {
                Assert.Equal("order_completed", types[^1]);
                Assert.Equal(1, types.Count(t => t == "order_completed"));
                Assert.Contains("checkout_started", types);
            }
            else
            {
                Assert.DoesNotContain("order_completed", types);
            }
        }
    }

    [Fact]
    public void ManySessions_ExerciseEveryStepOfTheFunnel_IncludingReturnsAfterALongBreak()
    {
        var sessions = Generate(seed: 16, count: 500);

        var types = sessions.SelectMany(s => s.Events).Select(e => e.Message.Type).ToHashSet();
        Assert.Equal(CartEventTypes.AllWireNames.Order(), types.Order());
        // A revisit is a gap of more than 30 minutes between two events of one session.
        Assert.Contains(sessions, s => s.Events.Zip(s.Events.Skip(1)).Any(p => p.Second.Offset - p.First.Offset > TimeSpan.FromMinutes(30)));
        Assert.Contains(sessions, s => s.ShopperId is not null);
        Assert.Contains(sessions, s => s.ShopperId is null);
    }

    [Fact]
    public void Ids_AreUniqueAcrossSessionsAndEvents()
    {
        var sessions = Generate(seed: 17, count: 300);

        Assert.Equal(sessions.Count, sessions.Select(s => s.SessionId).Distinct().Count());
        var eventIds = sessions.SelectMany(s => s.Events).Select(e => e.Message.EventId).ToList();
        Assert.Equal(eventIds.Count, eventIds.Distinct().Count());
        Assert.All(sessions, s => Assert.All(s.Events, e => Assert.Equal(s.SessionId, e.Message.SessionId)));
    }

    [Fact]
    public void SameSeed_GivesTheSameSessions_AndAnotherSeedDifferentOnes()
    {
        string Json(int seed) => JsonSerializer.Serialize(Generate(seed, 50), AppJson.Options);

        Assert.Equal(Json(99), Json(99));
        Assert.NotEqual(Json(99), Json(100));
    }

    [Fact]
    public void RunawayWalks_AreCutAtTheConfiguredLength()
    {
        var sessions = Generate(seed: 18, count: 300, new ShopperSessionGeneratorOptions { MaxEventsPerSession = 4 });

        Assert.All(sessions, s => Assert.InRange(s.Events.Count, 1, 4));
    }
}
