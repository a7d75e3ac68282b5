using CartCall.Domain.Hooks;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Tests.Features.Hooks;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>Which hooked points a call's orchestration is started with: at accept, when restarted by a callback, for a callback call.</summary>
[Collection(HookStorageCollection.Name)]
public sealed class CallStarterTests(HookStorageFixture storage)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private static CallOrchestrationInput Input(IReadOnlyList<string>? points = null)
    {
        var call = new CallRecord
        {
            CallId = "call-1", OfferId = "offer-1", MerchantId = "m-1", SessionId = "s-1", Mode = CallMode.Phone, ShopperPhone = "+12015550123",
            Status = CallStatus.Queued, CreatedAt = DateTimeOffset.UnixEpoch,
        };
        return DurableCallStarter.InputFor(call, new CallsOptions()) with { HookPoints = points };
    }

    [Fact]
    public void AtAccept_EveryHookedPointRuns_WithTheDeadline()
    {
        var input = DurableCallStarter.WithHooks(Input(), [HookPoints.CallBeforeDial, HookPoints.CallEnded], Deadline, dialled: false);

        Assert.Equal([HookPoints.CallBeforeDial, HookPoints.CallEnded], input.HookPoints);
        Assert.Equal(Deadline, input.BeforeDialDeadline);
    }

    [Fact]
    public void AlreadyDialled_BeforeDialIsLeftOut_TheLaterPointsRun()
    {
        var input = DurableCallStarter.WithHooks(Input(), [HookPoints.OfferAccepted, HookPoints.CallBeforeDial, HookPoints.CallConnected, HookPoints.ChargeCaptured],
            Deadline, dialled: true);

        Assert.Equal([HookPoints.OfferAccepted, HookPoints.CallConnected, HookPoints.ChargeCaptured], input.HookPoints);
    }

    [Fact]
    public void AlreadyDialled_WithOnlyBeforeDialHooks_RunsNoHooks()
    {
        // Null, not empty: the orchestration then costs a merchant without hooks nothing.
        Assert.Null(DurableCallStarter.WithHooks(Input(), [HookPoints.CallBeforeDial], Deadline, dialled: true).HookPoints);
        Assert.Null(DurableCallStarter.WithHooks(Input([HookPoints.CallEnded]), [], Deadline, dialled: false).HookPoints);
    }

    [Fact]
    public async Task ACallbackCall_TakesTheMerchantsHooksAsTheyAreNow_NotItsFirstCallsPoints()
    {
        var store = storage.Store();
        var merchant = HookStorageFixture.NewMerchantId();
        // The first call was accepted when the merchant had a before_dial hook; since then it was disabled and an ended hook added.
        await store.UpsertAsync(merchant, Model(merchant, "gate", HookPoints.CallBeforeDial, enabled: false), CancellationToken.None);
        await store.UpsertAsync(merchant, Model(merchant, "crm", HookPoints.CallEnded), CancellationToken.None);
        var firstCalls = Input([HookPoints.CallBeforeDial]);

        var callback = await DurableCallStarter.WithCurrentHooksAsync(store, new HooksOptions { BeforeDialDeadline = Deadline }, merchant, firstCalls, dialled: false, CancellationToken.None);
        Assert.Equal([HookPoints.CallEnded], callback.HookPoints);

        await store.DeleteAsync(merchant, "crm", CancellationToken.None);
        var none = await DurableCallStarter.WithCurrentHooksAsync(store, new HooksOptions(), merchant, firstCalls, dialled: false, CancellationToken.None);
        Assert.Null(none.HookPoints);
    }

    private static HookRegistrationModel Model(string merchant, string id, string point, bool enabled = true) =>
        HookRegistrationModel.From(
            new HookRegistration(id, merchant, [point], HookKind.Webhook, "https://hooks.example.com/cartcall", TimeSpan.FromSeconds(2),
                HookRetryPolicy.Default, 0, FailureMode.Open, enabled),
            null, DateTimeOffset.UtcNow);
}
