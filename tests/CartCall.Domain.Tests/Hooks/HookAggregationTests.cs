using CartCall.Domain.Hooks;
using static CartCall.Domain.Tests.Hooks.HookTestData;

namespace CartCall.Domain.Tests.Hooks;

public class HookAggregationTests
{
    private static HookDecision Decide(IEnumerable<HookRegistration> hooks, params HookOutcome[] outcomes) =>
        HookAggregation.Decide(HookPoints.CallBeforeDial, hooks, outcomes.ToDictionary(o => o.HookId));

    private static HookOutcome Answer(string id, HookAnswer answer) => HookOutcome.Answered(id, answer);

    private static HookAnswer Route(string agent) => new(HookAction.Route, null, agent, new Dictionary<string, string>());

    private static HookAnswer Enrich(params (string Key, string Value)[] data) =>
        new(HookAction.Enrich, null, null, data.ToDictionary(d => d.Key, d => d.Value));

    [Fact]
    public void Decide_AllContinue_Proceeds()
    {
        var decision = Decide([Webhook("a"), Webhook("b")], Answer("a", HookAnswer.Continue), Answer("b", HookAnswer.Continue));
        Assert.True(decision.Proceed);
        Assert.Null(decision.ShopperMessage);
        Assert.Null(decision.AgentId);
    }

    [Fact]
    public void Decide_VetoFromAFailClosedHook_StopsWithItsReason()
    {
        var decision = Decide([Webhook("compliance", mode: FailureMode.Closed), Webhook("crm")],
            Answer("compliance", HookAnswer.Veto("This number asked not to be called.")), Answer("crm", HookAnswer.Continue));
        Assert.False(decision.Proceed);
        Assert.Equal("This number asked not to be called.", decision.ShopperMessage);
        Assert.Equal("compliance", decision.StoppedBy);
    }

    [Fact]
    public void Decide_AtOfferProposed_NeitherAVetoNorAFailClosedHookStopsAnything()
    {
        // The offer is with the shopper by the time its hooks run: they can only listen.
        var hooks = new[] { Webhook("a", mode: FailureMode.Closed, point: HookPoints.OfferProposed), Webhook("b", mode: FailureMode.Closed, point: HookPoints.OfferProposed) };
        var decision = HookAggregation.Decide(HookPoints.OfferProposed, hooks, new Dictionary<string, HookOutcome>
        {
            ["a"] = HookOutcome.Answered("a", HookAnswer.Veto("No offers today.")),
            ["b"] = new("b", HookOutcomeKind.TimedOut, null, "timed out"),
        });
        Assert.True(decision.Proceed);
        Assert.Equal(HookPointCapabilities.NotifyOnly, HookPoints.Capabilities(HookPoints.OfferProposed));
        Assert.Equal(HookPointCapabilities.NotifyOnly, HookPoints.Capabilities(HookPoints.OfferAccepted));
    }

    [Fact]
    public void Decide_VetoFromAFailOpenHook_StillStops_BecauseAVetoIsAnAnswerNotAFailure() =>
        Assert.False(Decide([Webhook("a", mode: FailureMode.Open)], Answer("a", HookAnswer.Veto("No."))).Proceed);

    [Fact]
    public void Decide_SeveralVetoes_ShowTheHighestPriorityReason()
    {
        var decision = Decide([Webhook("low", priority: 1), Webhook("high", priority: 9)],
            Answer("low", HookAnswer.Veto("low reason")), Answer("high", HookAnswer.Veto("high reason")));
        Assert.Equal("high reason", decision.ShopperMessage);
    }

    [Theory]
    [InlineData(HookOutcomeKind.TimedOut)]
    [InlineData(HookOutcomeKind.Failed)]
    [InlineData(HookOutcomeKind.InvalidOutput)]
    public void Decide_MissingAnswer_FollowsTheFailureMode(HookOutcomeKind kind)
    {
        var outcome = new HookOutcome("a", kind, null, "boom");
        Assert.True(Decide([Webhook("a", mode: FailureMode.Open)], outcome).Proceed);

        var closed = Decide([Webhook("a", mode: FailureMode.Closed)], outcome);
        Assert.False(closed.Proceed);
        Assert.Equal(HookAggregation.DefaultShopperMessage, closed.ShopperMessage);
        Assert.Contains("boom", closed.Notes.Single().Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoOutcomeByTheDeadline_CountsAsTimedOut()
    {
        Assert.True(Decide([Webhook("slow", mode: FailureMode.Open)]).Proceed);
        var decision = Decide([Webhook("slow", mode: FailureMode.Closed)]);
        Assert.False(decision.Proceed);
        Assert.Contains("TimedOut", decision.Notes.Single().Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_HighestPriorityRoute_ChoosesTheAgent_WhateverTheOrderOfArrival()
    {
        HookRegistration[] hooks = [Webhook("a", priority: 1), Webhook("b", priority: 5), Webhook("c", priority: 3)];
        HookOutcome[] outcomes = [Answer("a", Route("agent-a")), Answer("b", Route("agent-b")), Answer("c", Route("agent-c"))];

        foreach (var order in new[] { outcomes, outcomes.Reverse().ToArray() })
        {
            var decision = Decide(hooks, order);
            Assert.Equal("agent-b", decision.AgentId);
            Assert.Equal("b", decision.RoutedBy);
        }
    }

    [Fact]
    public void Decide_RouteTieOnPriority_GoesToTheSmallerHookId() =>
        Assert.Equal("agent-x", Decide([Webhook("y"), Webhook("x")], Answer("y", Route("agent-y")), Answer("x", Route("agent-x"))).AgentId);

    [Fact]
    public void Decide_Enrichment_MergesAndTheHigherPriorityValueWins()
    {
        var decision = Decide([Webhook("crm", priority: 10), Webhook("erp", priority: 1)],
            Answer("crm", Enrich(("tier", "gold"))), Answer("erp", Enrich(("tier", "bronze"), ("openOrders", "2"))));
        Assert.Equal("gold", decision.Enrichment["tier"]);
        Assert.Equal("2", decision.Enrichment["openOrders"]);
    }

    [Fact]
    public void Decide_DisabledOrOtherPointHooks_AreNotConsulted()
    {
        var decision = Decide([Webhook("off", mode: FailureMode.Closed, enabled: false), Webhook("later", mode: FailureMode.Closed, point: HookPoints.CallEnded)]);
        Assert.True(decision.Proceed);
        Assert.Empty(decision.Notes);
    }

    [Fact]
    public void Decide_AfterTheCall_VetoAndRouteChangeNothing()
    {
        var hooks = new[] { Webhook("a", mode: FailureMode.Closed, point: HookPoints.CallEnded), Webhook("b", mode: FailureMode.Closed, point: HookPoints.CallEnded) };
        var decision = HookAggregation.Decide(HookPoints.CallEnded, hooks, new Dictionary<string, HookOutcome>
        {
            ["a"] = HookOutcome.Answered("a", HookAnswer.Veto("too late")),
            ["b"] = HookOutcome.Failed("b", "down"),
        });
        Assert.True(decision.Proceed);
        Assert.Empty(decision.Enrichment);
        Assert.Equal(2, decision.Notes.Count);
    }
}
