using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Hooks;

internal static class HookTestSupport
{
    public const string Secret = "whsec_test_0123456789";

    public static string TestProgram => Path.Combine(RepoPaths.Root, "tests", "CartCall.Functions.Tests", "Features", "Hooks", "programs", "test-hook.sh");

    public static string SampleProgram => Path.Combine(RepoPaths.Root, "samples", "hooks", "customer-tier.sh");

    public static HooksOptions Options(bool allowLoopback = true, int maxProcesses = 8, Action<HooksOptions>? configure = null)
    {
        var options = new HooksOptions { AllowLoopbackWebhooks = allowLoopback };
        options.Processes.MaxConcurrentProcesses = maxProcesses;
        options.Processes.Executables["sample"] = new HookExecutable { Path = SampleProgram };
        foreach (var mode in new[] { "answer", "echo-id", "veto", "tempfail", "fail", "garbage", "unknown-action", "huge", "ignore-stdin", "env", "hang-tree", "overlap" })
        {
            options.Processes.Executables[mode] = new HookExecutable { Path = TestProgram, Arguments = [mode] };
        }

        configure?.Invoke(options);
        return options;
    }

    public static WebhookHookRunner WebhookRunner(HooksOptions? options = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options ?? Options()), TimeProvider.System, NullLogger<WebhookHookRunner>.Instance);

    public static ProcessHookRunner ProcessRunner(HooksOptions? options = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options ?? Options()), TimeProvider.System, NullLogger<ProcessHookRunner>.Instance);

    public static HookRegistration Hook(HookKind kind, string target, int timeoutMs = 2_000, string id = "h1", FailureMode mode = FailureMode.Open) =>
        new(id, "m-hooks", [HookPoints.CallBeforeDial], kind, target, TimeSpan.FromMilliseconds(timeoutMs),
            new HookRetryPolicy(3, TimeSpan.FromMilliseconds(100), 2, TimeSpan.FromSeconds(1)), 0, mode, true);

    public static HookEventData Event(string merchantId = "m-hooks") => new()
    {
        Point = HookPoints.CallBeforeDial,
        MerchantId = merchantId,
        SessionId = "s-1",
        ShopperId = "shopper-1",
        Cart = new HookCart("USD", 612.50m, [new HookCartItem("SKU-1", "Espresso machine", 1, 612.50m)]),
        Score = new HookScore(0.87, "hesitating", ["high cart value"]),
        Call = new HookCall("call-1", "voip", "queued"),
    };

    /// <summary>When the test's lifecycle point happened: fixed, as it is for every attempt of one invocation.</summary>
    public static readonly DateTimeOffset OccurredAt = DateTimeOffset.UtcNow;

    public static HookInvocation Invocation(HookRegistration hook, int attempt = 1, string key = "hk_test") =>
        new(hook, HookPoints.CallBeforeDial, key, HookCloudEvent.Serialize(key, Event(hook.MerchantId), OccurredAt), attempt, [Secret]);
}
