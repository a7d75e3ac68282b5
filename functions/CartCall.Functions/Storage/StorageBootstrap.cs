using Microsoft.Extensions.Options;

namespace CartCall.Functions.Storage;

/// <summary>Creates the tables and queues on start-up where <see cref="StorageOptions.CreateIfMissing"/> is set.</summary>
public sealed partial class StorageBootstrap(StorageClients storage, IOptions<StorageOptions> options, ILogger<StorageBootstrap> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateIfMissing)
        {
            return;
        }

        var work = new List<Task>();
        foreach (var table in StorageNames.Tables)
        {
            work.Add(storage.Table(table).CreateIfNotExistsAsync(cancellationToken));
        }

        foreach (var queue in StorageNames.Queues)
        {
            work.Add(storage.Queue(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken));
            work.Add(storage.Queue(StorageNames.Poison(queue)).CreateIfNotExistsAsync(cancellationToken: cancellationToken));
        }

        await Task.WhenAll(work).ConfigureAwait(false);
        LogCreated(StorageNames.Tables.Length, StorageNames.Queues.Length);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage ready: {TableCount} tables, {QueueCount} queues")]
    private partial void LogCreated(int tableCount, int queueCount);
}
