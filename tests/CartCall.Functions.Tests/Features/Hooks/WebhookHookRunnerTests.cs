using System.Text;
using System.Text.Json;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Hooks;
using Microsoft.AspNetCore.Http;
using static CartCall.Functions.Tests.Features.Hooks.HookTestSupport;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>The webhook runner against real loopback servers that answer, fail, hang, redirect or talk nonsense.</summary>
public sealed class WebhookHookRunnerTests
{
    private static Task Answer(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    [Fact]
    public async Task Answer_IsASignedStructuredCloudEvent_WithTheIdempotencyKey_AndTheAnswerIsRead()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, "{\"action\":\"enrich\",\"data\":{\"tier\":\"gold\"}}"));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString()), key: "hk_abc"), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.Answered, result.Kind);
        Assert.Equal("gold", result.Answer!.Data["tier"]);
        Assert.NotNull(result.DispatchOverhead);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("application/cloudevents+json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("hk_abc", request.Headers[WebhookHookRunner.IdempotencyKeyHeader]);
        Assert.Equal("1", request.Headers[WebhookHookRunner.AttemptHeader]);
        // The merchant verifies it with the very verifier CartCall uses for their cart webhooks.
        Assert.Null(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, [Secret], DateTimeOffset.UtcNow));
        Assert.NotNull(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, ["wrong"], DateTimeOffset.UtcNow));

        using var cloudEvent = JsonDocument.Parse(request.Body);
        var root = cloudEvent.RootElement;
        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal("hk_abc", root.GetProperty("id").GetString());
        Assert.Equal("CartCall.Hook.call.before_dial", root.GetProperty("type").GetString());
        Assert.Equal("/merchants/m-hooks", root.GetProperty("source").GetString());
        Assert.Equal("calls/call-1", root.GetProperty("subject").GetString());
        Assert.Equal(612.50m, root.GetProperty("data").GetProperty("cart").GetProperty("value").GetDecimal());
        Assert.Equal("high cart value", root.GetProperty("data").GetProperty("score").GetProperty("reasons")[0].GetString());
    }

    [Fact]
    public async Task DuringASecretRotation_EitherSecretVerifies()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, ""));
        using var runner = WebhookRunner();
        var invocation = Invocation(Hook(HookKind.Webhook, server.Url.ToString())) with { SigningSecrets = ["old-secret", "new-secret"] };

        Assert.Equal(HookOutcomeKind.Answered, (await runner.RunAsync(invocation, CancellationToken.None)).Kind);

        var request = Assert.Single(server.Requests);
        Assert.Null(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, ["old-secret"], DateTimeOffset.UtcNow));
        Assert.Null(WebhookSignatures.VerifyCartCall(request.Headers[WebhookSignatures.CartCallHeader], request.Body, ["new-secret"], DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task FailingTwiceThenAnswering_IsTransientTwice_WithTheSameKeyAndBodyEachTime()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, n) => n <= 2 ? Answer(c, "busy", 503) : Answer(c, "{\"action\":\"continue\"}"));
        using var runner = WebhookRunner();
        var hook = Hook(HookKind.Webhook, server.Url.ToString());
        var results = new List<HookAttemptResult>();
        for (var attempt = 1; attempt <= hook.Retry.MaxAttempts; attempt++)
        {
            var result = await runner.RunAsync(Invocation(hook, attempt, "hk_same"), CancellationToken.None);
            results.Add(result);
            if (!result.Transient)
            {
                break;
            }
        }

        Assert.Equal([true, true, false], results.Select(r => r.Transient));
        Assert.Equal(HookOutcomeKind.Answered, results[^1].Kind);
        Assert.Equal("http 503", results[0].LastStatus);
        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.All(requests, r => Assert.Equal("hk_same", r.Headers[WebhookHookRunner.IdempotencyKeyHeader]));
        Assert.Equal(["1", "2", "3"], requests.Select(r => r.Headers[WebhookHookRunner.AttemptHeader]));
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
    }

    [Fact]
    public async Task RetryAfter_IsReported_AndWinsOverAShorterBackoff()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) =>
        {
            c.Response.Headers.RetryAfter = "7";
            return Answer(c, "slow down", 429);
        });
        using var runner = WebhookRunner();
        var hook = Hook(HookKind.Webhook, server.Url.ToString());

        var result = await runner.RunAsync(Invocation(hook), CancellationToken.None);

        Assert.True(result.Transient);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(7), hook.Retry.DelayBefore(2, result.RetryAfter));
    }

    [Fact]
    public async Task HangingPastTheTimeout_IsATransientTimeout()
    {
        await using var server = await LoopbackHookServer.StartAsync(async (c, _) => await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString(), timeoutMs: 300)), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.TimedOut, result.Kind);
        Assert.True(result.Transient);
        Assert.Equal("timeout", result.LastStatus);
    }

    [Theory]
    [InlineData("<html>500 but says 200</html>", "not JSON")]
    [InlineData("{\"action\":\"refund_everything\"}", "unknown action")]
    public async Task Garbage_IsThatHooksInvalidOutput_NotAnException(string body, string expected)
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, body));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.InvalidOutput, result.Kind);
        Assert.False(result.Transient);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeAnswer_IsInvalidOutput_AndNotReadToTheEnd()
    {
        await using var server = await LoopbackHookServer.StartAsync(async (c, _) =>
        {
            c.Response.ContentType = "application/json";
            var chunk = Encoding.UTF8.GetBytes(new string(' ', 64 * 1_024));
            for (var i = 0; i < 160 && !c.RequestAborted.IsCancellationRequested; i++) // 10 MB, unannounced length
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        });
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString(), timeoutMs: 10_000)), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.InvalidOutput, result.Kind);
        Assert.Contains("longer than 65536 bytes", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gone_IsAPermanentFailure()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, "unsubscribed", 410));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.Failed, result.Kind);
        Assert.False(result.Transient);
        Assert.Contains("410 Gone", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirect_IsNotFollowed_AndIsAPermanentFailure()
    {
        await using var target = await LoopbackHookServer.StartAsync((c, _) => Answer(c, "{\"action\":\"continue\"}"));
        await using var server = await LoopbackHookServer.StartAsync((c, _) =>
        {
            c.Response.StatusCode = 307;
            c.Response.Headers.Location = target.Url.ToString();
            return Task.CompletedTask;
        });
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.Failed, result.Kind);
        Assert.False(result.Transient);
        Assert.Contains("Redirects are not followed", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, target.Count);
    }

    [Fact]
    public async Task ClientError_IsPermanent_AndCarriesTheStartOfTheBody()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, "bad signature", 401));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())), CancellationToken.None);

        Assert.False(result.Transient);
        Assert.Equal("http 401", result.LastStatus);
        Assert.Contains("bad signature", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NobodyListening_IsATransientNetworkFailure()
    {
        using var runner = WebhookRunner();
        var port = CartCall.Testing.Azurite.FreePort();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, $"http://127.0.0.1:{port}/hook")), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.Failed, result.Kind);
        Assert.True(result.Transient);
        Assert.Equal("network", result.LastStatus);
    }

    [Fact]
    public async Task RepeatedFailures_OpenTheEndpointsCircuit_AndFurtherAttemptsAreNotSent()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, "down", 500));
        await using var healthy = await LoopbackHookServer.StartAsync((c, _) => Answer(c, ""));
        using var runner = WebhookRunner(Options(configure: o =>
        {
            o.Webhooks.BreakerMinimumThroughput = 3;
            o.Webhooks.BreakerBreakDuration = TimeSpan.FromMinutes(1);
        }));
        var hook = Hook(HookKind.Webhook, server.Url.ToString());

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("http 500", (await runner.RunAsync(Invocation(hook), CancellationToken.None)).LastStatus);
        }

        var refused = await runner.RunAsync(Invocation(hook), CancellationToken.None);
        Assert.Equal("circuit-open", refused.LastStatus);
        Assert.True(refused.Transient);
        Assert.NotNull(refused.RetryAfter);
        Assert.Equal(3, server.Count);

        // The breaker is per endpoint: another merchant's healthy endpoint is unaffected.
        Assert.Equal(HookOutcomeKind.Answered, (await runner.RunAsync(Invocation(Hook(HookKind.Webhook, healthy.Url.ToString())), CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task OutsideDevelopment_ALoopbackTargetIsRefusedAtConnectTime()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, ""));
        using var runner = WebhookRunner(Options(allowLoopback: false));

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())), CancellationToken.None);

        Assert.Equal(HookOutcomeKind.Failed, result.Kind);
        Assert.Contains("private or loopback", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, server.Count);
    }

    [Fact]
    public async Task MerchantWithoutSecret_IsNotCalled()
    {
        await using var server = await LoopbackHookServer.StartAsync((c, _) => Answer(c, ""));
        using var runner = WebhookRunner();

        var result = await runner.RunAsync(Invocation(Hook(HookKind.Webhook, server.Url.ToString())) with { SigningSecrets = [] }, CancellationToken.None);

        Assert.False(result.Transient);
        Assert.Equal(0, server.Count);
    }
}
