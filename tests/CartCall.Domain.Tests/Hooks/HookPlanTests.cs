using CartCall.Domain.Hooks;
using static CartCall.Domain.Tests.Hooks.HookTestData;

namespace CartCall.Domain.Tests.Hooks;

public class HookPlanTests
{
    [Fact]
    public void For_PicksEnabledHooksAtThePoint_HighestPriorityFirst()
    {
        var plan = HookPlan.For(HookPoints.CallBeforeDial,
            [Webhook("b", priority: 1), Webhook("a", priority: 1), Webhook("top", priority: 7), Webhook("off", enabled: false), Webhook("x", point: HookPoints.CallEnded)]);
        Assert.Equal(["top", "a", "b"], plan.Select(h => h.HookId));
    }

    [Fact]
    public void IdempotencyKey_IsStableAndDistinctPerHookAndOccurrence()
    {
        var key = HookPlan.IdempotencyKey(HookPoints.CallBeforeDial, "call-1", "crm");
        Assert.Equal(key, HookPlan.IdempotencyKey(HookPoints.CallBeforeDial, "call-1", "crm"));
        Assert.Matches("^hk_[0-9a-f]{32}$", key);
        Assert.NotEqual(key, HookPlan.IdempotencyKey(HookPoints.CallBeforeDial, "call-2", "crm"));
        Assert.NotEqual(key, HookPlan.IdempotencyKey(HookPoints.CallBeforeDial, "call-1", "erp"));
        Assert.NotEqual(key, HookPlan.IdempotencyKey(HookPoints.CallConnected, "call-1", "crm"));
    }

    [Theory]
    [InlineData(100, 10, 10)]
    [InlineData(3, 10, 3)]
    [InlineData(5, 0, 1)]
    [InlineData(0, 10, 0)]
    public void EffectiveConcurrency_IsTheSmallerOfHooksAndLimit(int hooks, int limit, int expected) =>
        Assert.Equal(expected, HookPlan.EffectiveConcurrency(hooks, limit));
}
