using System.Text.Json;
using Azure.Data.Tables;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Agents;

/// <summary>
/// Agents in the <c>agents</c> table, one partition per merchant. The offer policy asks "is anyone available?"
/// on every evaluation, so that answer is cached per instance for <see cref="PresenceCacheFor"/>; the accept
/// path reads fresh. The cache is bounded (<see cref="CacheOptions.AgentPresenceEntries"/>).
/// </summary>
public sealed class TableAgentStore(StorageClients storage, IOptions<CacheOptions> options, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan PresenceCacheFor = TimeSpan.FromSeconds(2);

    private readonly TableClient table = storage.Table(StorageNames.AgentsTable);
    private readonly MemoryCache presence = BoundedCache.Create(options.Value.AgentPresenceEntries, time);

    public async Task UpsertAsync(string merchantId, Agent agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var entity = new TableEntity(merchantId, agent.Id)
        {
            ["Available"] = agent.Available,
            ["Priority"] = agent.Priority,
            ["Document"] = JsonSerializer.Serialize(agent, AppJson.Options),
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        presence.Remove(merchantId);
    }

    public async Task<IReadOnlyList<Agent>> ListAsync(string merchantId, bool availableOnly, CancellationToken cancellationToken)
    {
        var filter = availableOnly
            ? TableClient.CreateQueryFilter($"PartitionKey eq {merchantId} and Available eq true")
            : TableClient.CreateQueryFilter($"PartitionKey eq {merchantId}");
        var agents = new List<Agent>();
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            agents.Add(JsonSerializer.Deserialize<Agent>(entity.GetString("Document"), AppJson.Options)!);
        }

        return agents.OrderBy(a => a.Priority).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<int> CountAvailableAsync(string merchantId, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && presence.TryGetValue(merchantId, out int hit))
        {
            return hit;
        }

        var count = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {merchantId} and Available eq true");
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        presence.Set(merchantId, count, BoundedCache.Entry(PresenceCacheFor));
        return count;
    }

    public void Dispose() => presence.Dispose();
}
