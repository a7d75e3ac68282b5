using System.ComponentModel.DataAnnotations;
using Azure;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Storage;

/// <summary>The one policy for ETag races: what it retries, how often, and what it leaves to the caller.</summary>
public sealed class OptimisticConcurrencyTests
{
    private static OptimisticConcurrency Policy(int attempts = 4) => new(
        Options.Create(new OptimisticConcurrencyOptions { MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) }),
        TimeProvider.System,
        NullLogger<OptimisticConcurrency>.Instance);

    [Theory]
    [InlineData(412)]
    [InlineData(409)]
    public async Task ALostRace_IsTriedAgain_UntilItWins(int status)
    {
        var tries = 0;

        var result = await Policy().ExecuteAsync("row", _ =>
        {
            tries++;
            return tries < 3 ? throw new RequestFailedException(status, "lost") : ValueTask.FromResult("won");
        }, CancellationToken.None);

        Assert.Equal("won", result);
        Assert.Equal(3, tries);
    }

    [Fact]
    public async Task ARaceThatStaysLost_EndsAfterMaxAttempts_AsAnExhaustedConflict()
    {
        var tries = 0;

        var e = await Assert.ThrowsAsync<ConcurrencyConflictException>(async () =>
            await Policy(attempts: 4).ExecuteAsync<int>("Counter m/k", _ =>
            {
                tries++;
                throw OptimisticConcurrency.Lost("Counter m/k");
            }, CancellationToken.None));

        Assert.Equal(4, tries);
        Assert.True(e.Exhausted);
        Assert.Contains("Counter m/k stayed contended for 4 attempts", e.Message, StringComparison.Ordinal);
        Assert.IsType<ConcurrencyConflictException>(e.InnerException);
    }

    [Fact]
    public async Task AnExhaustedInnerPolicy_IsNotRetriedByAnOuterOne()
    {
        var policy = Policy(attempts: 3);
        var inner = 0;

        await Assert.ThrowsAsync<ConcurrencyConflictException>(async () =>
            await policy.ExecuteAsync("session", async ct =>
                await policy.ExecuteAsync<int>("counter", _ =>
                {
                    inner++;
                    throw new RequestFailedException(412, "lost");
                }, ct), CancellationToken.None));

        Assert.Equal(3, inner);
    }

    [Fact]
    public async Task OtherFailures_AreNotRetried()
    {
        var tries = 0;

        await Assert.ThrowsAsync<RequestFailedException>(async () =>
            await Policy().ExecuteAsync<int>("row", _ =>
            {
                tries++;
                throw new RequestFailedException(503, "unavailable");
            }, CancellationToken.None));

        Assert.Equal(1, tries);
    }

    [Fact]
    public void Options_AreValidated()
    {
        static List<ValidationResult> Problems(OptimisticConcurrencyOptions options)
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
            return results;
        }

        Assert.Empty(Problems(new OptimisticConcurrencyOptions()));
        Assert.Contains(Problems(new OptimisticConcurrencyOptions { MaxAttempts = 1 }), r => r.MemberNames.Contains(nameof(OptimisticConcurrencyOptions.MaxAttempts)));
        Assert.Contains(
            Problems(new OptimisticConcurrencyOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(10) }),
            r => r.MemberNames.Contains(nameof(OptimisticConcurrencyOptions.MaxDelay)));
    }
}
