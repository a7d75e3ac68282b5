using Azure;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Tests.Hosting;

public sealed class DependencyFailuresTests
{
    [Fact]
    public void ExhaustedRetriesOnConnectionFailures_AreTransient() =>
        Assert.True(DependencyFailures.IsTransient(new AggregateException(new HttpRequestException("refused"), new HttpRequestException("refused"))));

    [Fact]
    public void ServiceErrors_AreTransient() =>
        Assert.True(DependencyFailures.IsTransient(new RequestFailedException(503, "busy")));

    [Fact]
    public void AnAggregateHidingABug_IsNotTransient() =>
        Assert.False(DependencyFailures.IsTransient(new AggregateException(new HttpRequestException("refused"), new NullReferenceException())));

    [Fact]
    public void CancellationTheCallerAskedFor_IsNotTransient()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(DependencyFailures.IsTransient(new TaskCanceledException(), cts.Token));
        Assert.True(DependencyFailures.IsTransient(new TaskCanceledException(), CancellationToken.None));
    }

    [Fact]
    public void Bugs_AreNotTransient() =>
        Assert.False(DependencyFailures.IsTransient(new InvalidOperationException()));
}
