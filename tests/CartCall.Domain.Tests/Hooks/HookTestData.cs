using CartCall.Domain.Hooks;

namespace CartCall.Domain.Tests.Hooks;

internal static class HookTestData
{
    public static readonly HookValidationRules Dev = new(AllowLoopbackHttp: true, AllowedExecutables: ["customer-tier"]);

    public static HookRegistration Webhook(
        string id = "crm", int priority = 0, FailureMode mode = FailureMode.Open, string point = HookPoints.CallBeforeDial, bool enabled = true) =>
        new(id, "m-1", [point], HookKind.Webhook, "https://hooks.example.com/cartcall", TimeSpan.FromSeconds(2),
            HookRetryPolicy.Default, priority, mode, enabled);
}
