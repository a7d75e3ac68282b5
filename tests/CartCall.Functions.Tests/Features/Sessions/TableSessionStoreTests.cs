using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using CartCall.Domain.Carts;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>Two instances of the app, each with its own cache, over one storage account.</summary>
[Collection(AppCollection.Name)]
public sealed class TableSessionStoreTests(AppFixture app)
{
    private TableSessionStore NewInstance() =>
        new(new StorageClients(Options.Create(new StorageOptions { ConnectionString = app.Storage.ConnectionString })), new SessionCache());

    private static CartEvent Event(string session, string id, int minutesAgo) =>
        new(id, session, null, DateTimeOffset.UtcNow.AddMinutes(-minutesAgo), CartEventType.ItemAdded,
            new CartSnapshot("USD", [new LineItem("A", "A", 1, 10m, null)]), null);

    [Fact]
    public async Task StaleCachedVersion_FailsItsSave_AndTheNextReadSeesTheOtherInstancesWrite()
    {
        var merchant = AppFixture.NewMerchantId();
        var (a, b) = (NewInstance(), NewInstance());
        var first = new LoadedSession(CartSession.Start(merchant, "s-1"), null, null);
        first.Session.Apply(Event("s-1", "e1", 3));
        await a.SaveAsync(first, null, null, null, CancellationToken.None);

        var fromB = (await b.GetAsync(merchant, "s-1", CancellationToken.None))!;
        fromB.Session.Apply(Event("s-1", "e2", 2));
        await b.SaveAsync(fromB, null, null, null, CancellationToken.None);

        var staleInA = (await a.GetAsync(merchant, "s-1", CancellationToken.None))!;
        Assert.Equal(1, staleInA.Session.EventCount); // served from A's cache, without a read
        staleInA.Session.Apply(Event("s-1", "e3", 1));
        await Assert.ThrowsAsync<SessionConflictException>(() => a.SaveAsync(staleInA, null, null, null, CancellationToken.None));

        var fresh = (await a.GetAsync(merchant, "s-1", CancellationToken.None))!;
        Assert.Equal(2, fresh.Session.EventCount);
    }

    [Fact]
    public async Task CachedSession_IsACopy_SoChangesThatAreNotSavedDoNotLeak()
    {
        var merchant = AppFixture.NewMerchantId();
        var store = NewInstance();
        var loaded = new LoadedSession(CartSession.Start(merchant, "s-2"), null, null);
        loaded.Session.Apply(Event("s-2", "e1", 1));
        await store.SaveAsync(loaded, null, null, null, CancellationToken.None);

        var one = (await store.GetAsync(merchant, "s-2", CancellationToken.None))!;
        one.Session.Apply(Event("s-2", "e-unsaved", 0));
        var two = (await store.GetAsync(merchant, "s-2", CancellationToken.None))!;

        Assert.Equal(1, two.Session.EventCount);
    }

    [Fact]
    public void Cache_StaysWithinItsCapacity()
    {
        var cache = new SessionCache(capacity: 100);
        for (var i = 0; i < 1_000; i++)
        {
            cache.Set($"k{i}", new SessionCache.Entry([1], "etag", null));
        }

        Assert.InRange(cache.Count, 1, 100);
    }
}
