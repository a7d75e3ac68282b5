using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;

namespace CartCall.Functions.Tests.Features.Hooks;

[Collection(HookStorageCollection.Name)]
public sealed class TableHookStoreTests(HookStorageFixture storage)
{
    private static HookDeliveryStart Start(string merchant, string key, byte[]? payload = null, string hook = "crm", string occurrence = "call-1") =>
        new(merchant, key, hook, HookPoints.CallBeforeDial, occurrence, payload ?? "{\"id\":\"x\"}"u8.ToArray());

    private static HookAttemptResult Failure(bool transient) =>
        new(HookOutcomeKind.Failed, null, transient, null, "http 503", "down", TimeSpan.FromMilliseconds(12), TimeSpan.FromMilliseconds(1));

    [Fact]
    public async Task Registrations_RoundTrip_List_AndDelete()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        var model = HookRegistrationModel.From(HookTestSupport.Hook(HookKind.Webhook, "https://crm.example.com/hook", id: "crm"), "CRM", DateTimeOffset.UtcNow);

        Assert.True(await store.UpsertAsync(merchant, model, CancellationToken.None));
        Assert.False(await store.UpsertAsync(merchant, model, CancellationToken.None));
        var read = await store.GetAsync(merchant, "crm", CancellationToken.None);
        Assert.Equal("https://crm.example.com/hook", read!.Target);
        Assert.Equal(HookRegistrationModel.From(read.ToDomain(merchant, "crm"), read.Description, read.UpdatedAt).Retry.MaxAttempts, model.Retry.MaxAttempts);
        Assert.Equal([HookPoints.CallBeforeDial], (await store.ListRegistrationsAsync(merchant, CancellationToken.None)).Single().Points);

        Assert.True(await store.DeleteAsync(merchant, "crm", CancellationToken.None));
        Assert.False(await store.DeleteAsync(merchant, "crm", CancellationToken.None));
        Assert.Empty(await store.ListAsync(merchant, CancellationToken.None));
    }

    [Fact]
    public async Task EveryAttempt_UpdatesOneRow_AndTheLastOneLeavesADeadLetter()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        var at = DateTimeOffset.UtcNow;

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var delivery = await store.BeginAttemptAsync(Start(merchant, "hk_1"), at.AddSeconds(attempt), CancellationToken.None);
            Assert.Equal(attempt, delivery.Attempts);
            await store.CompleteAttemptAsync(delivery, Failure(true), final: attempt == 3, at.AddSeconds(attempt), CancellationToken.None);
        }

        var failed = Assert.Single(await store.ListDeliveriesAsync(merchant, new HookDeliveryQuery(HookDeliveryStatus.Failed), CancellationToken.None));
        Assert.Equal(3, failed.Attempts);
        Assert.Equal("http 503", failed.LastStatus);
        Assert.Equal("down", failed.LastError);
        Assert.Equal(12, failed.LastLatencyMs);
        Assert.Equal("hk_1", failed.IdempotencyKey);
        Assert.Empty(failed.Payload); // lists leave the payload out
        Assert.Equal("{\"id\":\"x\"}"u8.ToArray(), (await store.GetDeliveryAsync(merchant, "hk_1", CancellationToken.None))!.Payload);
    }

    [Fact]
    public async Task Deliveries_CanBeListedPerHookAndPerCall()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        foreach (var (key, hook, call) in new[] { ("hk_a", "crm", "call-1"), ("hk_b", "erp", "call-1"), ("hk_c", "crm", "call-2") })
        {
            await store.BeginAttemptAsync(Start(merchant, key, hook: hook, occurrence: call), DateTimeOffset.UtcNow, CancellationToken.None);
        }

        Assert.Equal(["hk_a", "hk_c"], (await store.ListDeliveriesAsync(merchant, new(HookId: "crm"), CancellationToken.None)).Select(d => d.IdempotencyKey).Order());
        Assert.Equal(["hk_a", "hk_b"], (await store.ListDeliveriesAsync(merchant, new(OccurrenceId: "call-1"), CancellationToken.None)).Select(d => d.IdempotencyKey).Order());
        Assert.Empty(await store.ListDeliveriesAsync(HookStorageFixture.NewMerchantId(), new(), CancellationToken.None));
    }

    [Fact]
    public async Task LargePayload_IsKeptWhole_ForAReplay()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        var payload = new byte[200_000];
        new Random(7).NextBytes(payload);

        await store.BeginAttemptAsync(Start(merchant, "hk_big", payload), DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(payload, (await store.GetDeliveryAsync(merchant, "hk_big", CancellationToken.None))!.Payload);
    }

    [Fact]
    public async Task AttemptAfterSuccess_IsNotCounted_AndReturnsTheStoredOutcome()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        var delivery = await store.BeginAttemptAsync(Start(merchant, "hk_ok"), DateTimeOffset.UtcNow, CancellationToken.None);
        var answered = new HookAttemptResult(HookOutcomeKind.Answered, HookAnswer.Veto("No."), false, null, "http 200", null, TimeSpan.FromMilliseconds(5), null);
        await store.CompleteAttemptAsync(delivery, answered, final: true, DateTimeOffset.UtcNow, CancellationToken.None);

        var again = await store.BeginAttemptAsync(Start(merchant, "hk_ok"), DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(HookDeliveryStatus.Succeeded, again.Status);
        Assert.Equal(1, again.Attempts);
        Assert.Contains("\"veto\"", again.AnswerJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareReplay_KeepsTheKeyAndPayload_AndResetsTheStatus()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        var delivery = await store.BeginAttemptAsync(Start(merchant, "hk_dead"), DateTimeOffset.UtcNow, CancellationToken.None);
        await store.CompleteAttemptAsync(delivery, Failure(false), final: true, DateTimeOffset.UtcNow, CancellationToken.None);

        var replay = await store.PrepareReplayAsync(merchant, "hk_dead", CancellationToken.None);

        Assert.Equal(HookDeliveryStatus.Pending, replay!.Status);
        Assert.Equal(1, replay.Replays);
        Assert.Equal(1, replay.AttemptsAtLastReplay);
        Assert.Equal("{\"id\":\"x\"}"u8.ToArray(), replay.Payload);
        Assert.Null(await store.PrepareReplayAsync(merchant, "hk_nope", CancellationToken.None));
    }
}
