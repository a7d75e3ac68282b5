using Azure.Data.Tables;
using CartCall.LocalCloud.FunctionsHost;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace CartCall.LocalCloud.Tests.FunctionsHost;

/// <summary>
/// How the host stops the Durable Task provider: once, forced, never throwing (the sidecar stops it from an
/// <c>async void</c>, where a throw ends the process), and for real on Azurite with a session still held.
/// </summary>
[Collection(FunctionsHostCollection.Name)]
public sealed class SidecarOrchestrationServiceTests(FunctionsHostFixture fixture)
{
    [Fact]
    public async Task EveryStop_IsOneForcedStopOfTheProvider()
    {
        var provider = new Mock<IOrchestrationService>(MockBehavior.Strict);
        provider.Setup(p => p.StopAsync(true)).Returns(Task.CompletedTask);
        var service = SidecarOrchestrationService.Wrap(provider.Object, NullLogger.Instance);

        var first = service.StopAsync();
        var second = service.StopAsync(isForced: false);
        await Task.WhenAll(first, second);

        Assert.Same(first, second);
        provider.Verify(p => p.StopAsync(true), Times.Once);
        provider.Verify(p => p.StopAsync(false), Times.Never);
        provider.Verify(p => p.StopAsync(), Times.Never);
    }

    [Fact]
    public async Task Stop_ThatTheProviderFails_CompletesWithoutThrowing()
    {
        var provider = new Mock<IOrchestrationService>(MockBehavior.Strict);
        provider.Setup(p => p.StopAsync(true)).ThrowsAsync(new TimeoutException("Timed-out waiting for the partition manager to shut down."));
        var service = SidecarOrchestrationService.Wrap(provider.Object, NullLogger.Instance);

        var stop = service.StopAsync();
        await stop;

        Assert.True(stop.IsCompletedSuccessfully);
    }

    [Fact]
    public void OtherCalls_GoStraightThrough()
    {
        var provider = new Mock<IOrchestrationService>(MockBehavior.Strict);
        provider.SetupGet(p => p.MaxConcurrentTaskOrchestrationWorkItems).Returns(7);
        var service = SidecarOrchestrationService.Wrap(provider.Object, NullLogger.Instance);

        Assert.Equal(7, service.MaxConcurrentTaskOrchestrationWorkItems);
    }

    [Fact]
    public async Task Stop_WithASessionStillHeld_ReleasesEveryPartitionLease()
    {
        var hub = "stop" + Guid.NewGuid().ToString("N")[..10];
        var provider = DurableTaskEngine.CreateService(fixture.Storage.ConnectionString,
            new DurableTaskSettings { HubName = hub, PartitionCount = 2 }, TimeSpan.FromMilliseconds(100), NullLoggerFactory.Instance);
        await provider.CreateIfNotExistsAsync();
        await provider.StartAsync();
        var instance = new OrchestrationInstance { InstanceId = "held-" + hub, ExecutionId = Guid.NewGuid().ToString("N") };
        await provider.CreateTaskOrchestrationAsync(new TaskMessage
        {
            OrchestrationInstance = instance,
            Event = new ExecutionStartedEvent(-1, "null") { Name = "Held", Version = "", OrchestrationInstance = instance },
        });
        // Taken and never completed, as when the worker that had it is gone: a graceful stop waits for it.
        var held = await provider.LockNextTaskOrchestrationWorkItemAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.NotNull(held);
        var partitions = new TableClient(fixture.Storage.ConnectionString, hub + "Partitions");
        Assert.Contains(await OwnersAsync(partitions), owner => !string.IsNullOrEmpty(owner));

        await SidecarOrchestrationService.Wrap(provider, NullLogger.Instance).StopAsync();

        var owners = await OwnersAsync(partitions);
        Assert.Equal(2, owners.Count);
        Assert.All(owners, owner => Assert.True(string.IsNullOrEmpty(owner), $"partition still owned by {owner}"));
    }

    private static async Task<List<string?>> OwnersAsync(TableClient partitions)
    {
        var owners = new List<string?>();
        await foreach (var lease in partitions.QueryAsync<TableEntity>())
        {
            owners.Add(lease.GetString("CurrentOwner"));
        }

        return owners;
    }
}
