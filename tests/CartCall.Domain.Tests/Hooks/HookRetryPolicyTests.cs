using CartCall.Domain.Hooks;

namespace CartCall.Domain.Tests.Hooks;

public class HookRetryPolicyTests
{
    private static readonly HookRetryPolicy Policy = new(6, TimeSpan.FromSeconds(1), 2.0, TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 4)]
    [InlineData(5, 5)] // 8 s capped at the max interval
    [InlineData(6, 5)]
    public void DelayBefore_GrowsByTheCoefficient_UpToTheMaxInterval(int attempt, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Policy.DelayBefore(attempt));

    [Fact]
    public void DelayBefore_LongerRetryAfter_IsHonoured() =>
        Assert.Equal(TimeSpan.FromSeconds(42), Policy.DelayBefore(2, TimeSpan.FromSeconds(42)));

    [Fact]
    public void DelayBefore_ShorterRetryAfter_KeepsTheBackoff() =>
        Assert.Equal(TimeSpan.FromSeconds(2), Policy.DelayBefore(3, TimeSpan.FromMilliseconds(10)));

    [Fact]
    public void DelayBefore_HugeRetryAfter_IsCapped() =>
        Assert.Equal(HookBounds.MaxRetryAfter, Policy.DelayBefore(2, TimeSpan.FromDays(3)));

    [Fact]
    public void DelayBefore_ManyAttemptsWithLargeCoefficient_DoesNotOverflow() =>
        Assert.Equal(TimeSpan.FromSeconds(5), (Policy with { BackoffCoefficient = 10 }).DelayBefore(1_000));
}
