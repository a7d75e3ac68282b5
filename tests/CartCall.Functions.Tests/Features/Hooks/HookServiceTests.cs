using System.Text;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using Microsoft.AspNetCore.Http;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>The service as the admin functions and the Durable activity will call it, over Azurite and loopback servers.</summary>
[Collection(HookStorageCollection.Name)]
public sealed class HookServiceTests(HookStorageFixture storage)
{
    private static HookRegistrationModel Webhook(Uri url, int attempts = 3, FailureMode mode = FailureMode.Closed) => new()
    {
        Points = [HookPoints.CallBeforeDial],
        Kind = HookKind.Webhook,
        Target = url.ToString(),
        TimeoutMs = 2_000,
        Retry = new() { MaxAttempts = attempts, FirstIntervalMs = 100, BackoffCoefficient = 2, MaxIntervalMs = 1_000 },
        FailureMode = mode,
    };

    private static Task Respond(HttpContext c, int status, string body)
    {
        c.Response.StatusCode = status;
        return c.Response.WriteAsync(body);
    }

    /// <summary>What the orchestration will do: call the activity until it says final, waiting the delay it names.</summary>
    private static async Task<(HookActivityResult Last, int Calls)> RunLikeTheOrchestration(HookService service, HookActivityInput input)
    {
        for (var calls = 1; ; calls++)
        {
            var result = await service.RunAttemptAsync(input, CancellationToken.None);
            if (result.Final)
            {
                return (result, calls);
            }

            Assert.NotNull(result.RetryDelay);
            await Task.Delay(result.RetryDelay!.Value);
        }
    }

    private static HookActivityInput Plan(HookService service, string merchantId, string hookId, string callId) =>
        HookService.PlanInvocation(new HookRegistrationModel { Points = [HookPoints.CallBeforeDial] }.ToDomain(merchantId, hookId),
            HookPoints.CallBeforeDial, callId, HookTestSupport.Event(merchantId), HookTestSupport.OccurredAt);

    [Fact]
    public async Task InvalidRegistration_ListsEveryProblem_AndStoresNothing()
    {
        var (service, merchant) = await storage.ServiceAsync();
        var model = new HookRegistrationModel
        {
            Points = ["call.someday"], Kind = HookKind.Process, Target = "/bin/rm", TimeoutMs = 60_000, Retry = new() { MaxAttempts = 50 },
        };

        var result = await service.UpsertAsync(merchant, "bad", model, CancellationToken.None);

        Assert.Equal(HookCommandStatus.Invalid, result.Status);
        Assert.Equal(4, result.Problems.Count);
        Assert.Empty(await service.ListAsync(merchant, CancellationToken.None));
    }

    [Fact]
    public async Task Registration_ForAnUnknownMerchant_IsNotFound() =>
        Assert.Equal(HookCommandStatus.MerchantNotFound,
            (await (await storage.ServiceAsync()).Service.UpsertAsync("m-nobody", "h", Webhook(new Uri("https://x.example.com/")), CancellationToken.None)).Status);

    [Fact]
    public async Task Registration_IsCreatedThenUpdated_ThenDeleted()
    {
        var (service, merchant) = await storage.ServiceAsync();
        var model = Webhook(new Uri("https://crm.example.com/hook"));

        Assert.Equal(HookCommandStatus.Created, (await service.UpsertAsync(merchant, "crm", model, CancellationToken.None)).Status);
        model.Priority = 9;
        Assert.Equal(HookCommandStatus.Updated, (await service.UpsertAsync(merchant, "crm", model, CancellationToken.None)).Status);
        Assert.Equal(9, (await service.GetAsync(merchant, "crm", CancellationToken.None))!.Priority);
        var created = await service.CreateAsync(merchant, model, CancellationToken.None);
        Assert.StartsWith("hook_", created.Hook!.HookId, StringComparison.Ordinal);
        Assert.Equal(2, (await service.ListAsync(merchant, CancellationToken.None)).Count);
        Assert.Equal(HookCommandStatus.Deleted, (await service.DeleteAsync(merchant, "crm", CancellationToken.None)).Status);
        Assert.Equal(HookCommandStatus.NotFound, (await service.DeleteAsync(merchant, "crm", CancellationToken.None)).Status);
    }

    [Fact]
    public async Task FailingTwice_ThenAnswering_IsRecordedAsOneDeliveryWithThreeAttempts()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, n) =>
            n <= 2 ? Respond(c, 503, "busy") : Respond(c, 200, "{\"action\":\"route\",\"agentId\":\"agent-7\"}"));
        var (service, merchant) = await storage.ServiceAsync();
        await service.UpsertAsync(merchant, "router", Webhook(server.Url), CancellationToken.None);

        var (last, calls) = await RunLikeTheOrchestration(service, Plan(service, merchant, "router", "call-1"));

        Assert.Equal(3, calls);
        Assert.Equal("agent-7", last.Answer!.AgentId);
        Assert.Single(server.Requests.Select(r => r.Headers[WebhookHookRunner.IdempotencyKeyHeader]).Distinct());
        var delivery = Assert.Single(await service.ListDeliveriesAsync(merchant, new(), CancellationToken.None));
        Assert.Equal(HookDeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal(3, delivery.Attempts);
        Assert.Equal("call-1", delivery.OccurrenceId);

        // A redelivered activity (at-least-once) gets the stored answer; the hook is not called a fourth time.
        var again = await service.RunAttemptAsync(Plan(service, merchant, "router", "call-1"), CancellationToken.None);
        Assert.Equal("agent-7", again.Answer!.AgentId);
        Assert.Equal(3, server.Count);
    }

    [Fact]
    public async Task ExhaustedRetries_LeaveADeadLetter_ThatAReplaySendsAgainWithTheSameKeyAndBytes()
    {
        var healthy = false;
        await using var server = await LoopbackHookServer.StartAsync((c, _) => healthy ? Respond(c, 200, "") : Respond(c, 500, "down"));
        var (service, merchant) = await storage.ServiceAsync();
        await service.UpsertAsync(merchant, "crm", Webhook(server.Url, attempts: 2), CancellationToken.None);

        var (last, calls) = await RunLikeTheOrchestration(service, Plan(service, merchant, "crm", "call-9"));
        Assert.Equal(2, calls);
        Assert.Equal(HookOutcomeKind.Failed, last.Kind);
        Assert.Equal(HookOutcomeKind.Failed, last.ToOutcome().Kind); // what the aggregation sees: fail-closed stops the call
        var dead = Assert.Single(await service.ListDeliveriesAsync(merchant, new(HookDeliveryStatus.Failed), CancellationToken.None));
        Assert.Equal("http 500", dead.LastStatus);

        healthy = true;
        var replays = await service.PrepareReplayAllFailedAsync(merchant, 100, CancellationToken.None);
        var replay = Assert.Single(replays);
        Assert.Null(replay.Payload); // the stored bytes are sent
        var (replayed, _) = await RunLikeTheOrchestration(service, replay);

        Assert.Equal(HookOutcomeKind.Answered, replayed.Kind);
        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Single(requests.Select(r => r.Headers[WebhookHookRunner.IdempotencyKeyHeader]).Distinct());
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
        Assert.Empty(await service.ListDeliveriesAsync(merchant, new(HookDeliveryStatus.Failed), CancellationToken.None));
    }

    [Fact]
    public async Task HookAnsweringGarbage_IsThatHooksFailure_AndTheDecisionFollowsItsFailureMode()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Respond(c, 200, "<html>not an answer</html>"));
        var (service, merchant) = await storage.ServiceAsync();
        await service.UpsertAsync(merchant, "closed", Webhook(server.Url, mode: FailureMode.Closed), CancellationToken.None);
        await service.UpsertAsync(merchant, "open", Webhook(server.Url, mode: FailureMode.Open), CancellationToken.None);

        var hooks = (await service.ListAsync(merchant, CancellationToken.None)).Select(h => h.ToDomain(merchant, h.HookId!)).ToList();
        var outcomes = new Dictionary<string, HookOutcome>();
        foreach (var hook in HookPlan.For(HookPoints.CallBeforeDial, hooks))
        {
            var (result, calls) = await RunLikeTheOrchestration(service, Plan(service, merchant, hook.HookId, "call-g"));
            Assert.Equal(1, calls); // invalid output is permanent: no retry
            outcomes[hook.HookId] = result.ToOutcome();
        }

        var decision = HookAggregation.Decide(HookPoints.CallBeforeDial, hooks, outcomes);
        Assert.False(decision.Proceed);
        Assert.Equal("closed", decision.StoppedBy);
        Assert.Equal(HookAggregation.DefaultShopperMessage, decision.ShopperMessage);
    }

    [Fact]
    public async Task TestEvent_CallsTheHookOnce_WithoutRecordingADelivery()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Respond(c, 200, "{\"action\":\"enrich\",\"data\":{\"tier\":\"gold\"}}"));
        var (service, merchant) = await storage.ServiceAsync();
        await service.UpsertAsync(merchant, "crm", Webhook(server.Url), CancellationToken.None);

        var result = await service.SendTestEventAsync(merchant, "crm", null, CancellationToken.None);

        Assert.Equal("gold", result!.Answer!.Data["tier"]);
        Assert.Contains("\"type\":\"CartCall.Hook.call.before_dial\"", Encoding.UTF8.GetString(Assert.Single(server.Requests).Body), StringComparison.Ordinal);
        Assert.Empty(await service.ListDeliveriesAsync(merchant, new(), CancellationToken.None));
        Assert.Null(await service.SendTestEventAsync(merchant, "nope", null, CancellationToken.None));
    }

    [Fact]
    public async Task ProcessHook_RunsThroughTheSameActivity()
    {
        var (service, merchant) = await storage.ServiceAsync();
        var model = new HookRegistrationModel { Points = [HookPoints.CallBeforeDial], Kind = HookKind.Process, Target = "sample" };
        Assert.Equal(HookCommandStatus.Created, (await service.UpsertAsync(merchant, "tier", model, CancellationToken.None)).Status);

        var (result, _) = await RunLikeTheOrchestration(service, Plan(service, merchant, "tier", "call-p"));

        Assert.Equal("gold", result.Answer!.Data["tier"]);
    }
}
