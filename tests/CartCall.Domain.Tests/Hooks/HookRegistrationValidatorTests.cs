using CartCall.Domain.Hooks;
using static CartCall.Domain.Tests.Hooks.HookTestData;

namespace CartCall.Domain.Tests.Hooks;

public class HookRegistrationValidatorTests
{
    [Fact]
    public void Validate_WellFormedWebhook_HasNoProblems() =>
        Assert.Empty(HookRegistrationValidator.Validate(Webhook(), HookValidationRules.Production));

    [Fact]
    public void Validate_AllowListedProcess_HasNoProblems() =>
        Assert.Empty(HookRegistrationValidator.Validate(Webhook() with { Kind = HookKind.Process, Target = "customer-tier" }, Dev));

    [Theory]
    [InlineData("http://hooks.example.com/x", "https")]
    [InlineData("ftp://hooks.example.com/x", "absolute https URL")]
    [InlineData("/relative", "absolute https URL")]
    [InlineData("https://user:pw@hooks.example.com/x", "credentials")]
    [InlineData("https://hooks.example.com/x#frag", "fragment")]
    [InlineData("https://169.254.169.254/metadata", "link-local")]
    [InlineData("https://10.1.2.3/x", "private")]
    [InlineData("https://[fd00::1]/x", "private")]
    public void Validate_BadWebhookTarget_IsRefusedWithTheReason(string target, string expected)
    {
        var problems = HookRegistrationValidator.Validate(Webhook() with { Target = target }, Dev);
        Assert.Contains(expected, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/hook")]
    [InlineData("http://localhost:5000/hook")]
    [InlineData("http://[::1]:5000/hook")]
    public void Validate_LoopbackHttp_IsAcceptedInDevelopmentOnly(string target)
    {
        Assert.Empty(HookRegistrationValidator.Validate(Webhook() with { Target = target }, Dev));
        var problems = HookRegistrationValidator.Validate(Webhook() with { Target = target }, HookValidationRules.Production);
        Assert.Contains("only in development", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ExecutableNotOnTheAllowList_IsRefusedNamingTheAllowedOnes()
    {
        var problems = HookRegistrationValidator.Validate(Webhook() with { Kind = HookKind.Process, Target = "/bin/rm" }, Dev);
        var problem = Assert.Single(problems);
        Assert.Contains("'/bin/rm' is not an allow-listed executable", problem, StringComparison.Ordinal);
        Assert.Contains("customer-tier", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ProcessWhenNoExecutableIsConfigured_SaysProcessHooksAreOff()
    {
        var problems = HookRegistrationValidator.Validate(Webhook() with { Kind = HookKind.Process, Target = "customer-tier" }, HookValidationRules.Production);
        Assert.Contains("not enabled", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryProblem()
    {
        var hook = new HookRegistration("bad id!", "", ["call.after_lunch", "call.ended", "call.ended"], HookKind.Webhook,
            "http://example.com", TimeSpan.FromMinutes(5), new HookRetryPolicy(0, TimeSpan.Zero, 0.5, TimeSpan.FromHours(2)),
            5_000, (FailureMode)7, true);

        var problems = HookRegistrationValidator.Validate(hook, HookValidationRules.Production);

        string[] expected =
        [
            "hookId must be", "merchantId is missing", "'call.after_lunch' is not a lifecycle point", "more than once", "must use https",
            "timeout must be between 100 ms and 30000 ms", "retry.maxAttempts", "retry.firstInterval", "retry.backoffCoefficient",
            "retry.maxInterval", "priority", "failureMode",
        ];
        Assert.Equal(expected.Length, problems.Count);
        foreach (var fragment in expected)
        {
            Assert.Contains(problems, p => p.Contains(fragment, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_NoPoints_AsksForOne() =>
        Assert.Contains("at least one lifecycle point", Assert.Single(HookRegistrationValidator.Validate(Webhook() with { Points = [] }, Dev)),
            StringComparison.Ordinal);

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    [InlineData(30_000, true)]
    [InlineData(30_001, false)]
    public void Validate_TimeoutBounds_AreInclusive(int milliseconds, bool valid) =>
        Assert.Equal(valid, HookRegistrationValidator.Validate(Webhook() with { Timeout = TimeSpan.FromMilliseconds(milliseconds) }, Dev).Count == 0);

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(10, true)]
    [InlineData(11, false)]
    public void Validate_AttemptBounds_AreInclusive(int attempts, bool valid) =>
        Assert.Equal(valid, HookRegistrationValidator.Validate(Webhook() with { Retry = HookRetryPolicy.Default with { MaxAttempts = attempts } }, Dev).Count == 0);
}
