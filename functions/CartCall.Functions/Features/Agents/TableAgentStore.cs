using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Calls;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Agents;

/// <summary>
/// Agents in the <c>agents</c> table, one partition per merchant: the profile (<c>Document</c>) and the agent's
/// availability (<c>State</c>, see <see cref="AgentAvailability"/>). Every change of availability is a
/// compare-and-swap on the row's ETag, so two calls can never reserve the same agent. The offer policy asks "is
/// anyone available?" on every evaluation, so that answer is cached per instance for <see cref="PresenceCacheFor"/>;
/// the accept and routing read fresh. The cache is bounded (<see cref="CacheOptions.AgentPresenceEntries"/>).
/// </summary>
public sealed class TableAgentStore(StorageClients storage, OptimisticConcurrency concurrency, IOptions<CacheOptions> options, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan PresenceCacheFor = TimeSpan.FromSeconds(2);

    private readonly TableClient table = storage.Table(StorageNames.AgentsTable);
    private readonly MemoryCache presence = BoundedCache.Create(options.Value.AgentPresenceEntries, time);

    /// <summary>Creates or updates an agent's profile; <see cref="Agent.Available"/> sets them available or away (on a call: away after it).</summary>
    public async Task<Agent> UpsertAsync(string merchantId, Agent agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var saved = await concurrency.ExecuteAsync($"Agent {merchantId}/{agent.Id}", async ct =>
        {
            var now = time.GetUtcNow();
            var current = await ReadAsync(merchantId, agent.Id, ct).ConfigureAwait(false);
            // The workspace made the agent's ACS identity and chose their device: a profile update that leaves them out keeps them.
            agent.AcsUserId ??= current?.Agent.AcsUserId;
            agent.TakesCallsOn ??= current?.Agent.TakesCallsOn;
            var availability = current is null
                ? AgentAvailability.Initial(agent.Available, now)
                : current.Value.Availability.SetPresence(agent.Available, now);
            var entity = Entity(merchantId, agent, availability, current?.KeyHash);
            if (current is null)
            {
                try
                {
                    await table.AddEntityAsync(entity, ct).ConfigureAwait(false);
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    throw OptimisticConcurrency.Lost($"Agent {merchantId}/{agent.Id}");
                }
            }
            else
            {
                await ReplaceAsync(entity, current.Value.ETag, ct).ConfigureAwait(false);
            }

            return View(agent, availability, now);
        }, cancellationToken).ConfigureAwait(false);
        presence.Remove(merchantId);
        return saved;
    }

    /// <summary>The merchant's agents in the order calls try them, each with what they are doing now.</summary>
    public async Task<IReadOnlyList<Agent>> ListAsync(string merchantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var agents = new List<Agent>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {merchantId}");
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var (agent, availability) = Read(entity);
            agents.Add(View(agent, availability, now));
        }

        return agents.OrderBy(a => a.Priority).ThenBy(a => a.Id, StringComparer.Ordinal).ToList();
    }

    public async Task<Agent?> GetAsync(string merchantId, string agentId, CancellationToken cancellationToken)
    {
        var current = await ReadAsync(merchantId, agentId, cancellationToken).ConfigureAwait(false);
        return current is null ? null : View(current.Value.Agent, current.Value.Availability, time.GetUtcNow());
    }

    public async Task<int> CountAvailableAsync(string merchantId, bool fresh, CancellationToken cancellationToken)
    {
        if (!fresh && presence.TryGetValue(merchantId, out int hit))
        {
            return hit;
        }

        var count = (await ListAsync(merchantId, cancellationToken).ConfigureAwait(false)).Count(a => a.Available);
        presence.Set(merchantId, count, BoundedCache.Entry(PresenceCacheFor));
        return count;
    }

    /// <summary>Holds the agent for <paramref name="callId"/>; false when someone else holds them or they are not available.</summary>
    public Task<bool> TryReserveAsync(string merchantId, string agentId, string callId, CancellationToken cancellationToken) =>
        ChangeAsync(merchantId, agentId, (a, now) => a.Reserve(callId, now), cancellationToken);

    /// <summary>The agent joined <paramref name="callId"/>: busy.</summary>
    public Task<bool> JoinAsync(string merchantId, string agentId, string callId, CancellationToken cancellationToken) =>
        ChangeAsync(merchantId, agentId, (a, now) => a.Join(callId, now), cancellationToken);

    /// <summary>Gives the agent back after <paramref name="callId"/>, to wrap-up if they talked. Harmless when repeated or late.</summary>
    public Task<bool> ReleaseAsync(string merchantId, string agentId, string callId, bool talked, TimeSpan wrapUp, CancellationToken cancellationToken) =>
        ChangeAsync(merchantId, agentId, (a, now) => a.Release(callId, talked, now, wrapUp), cancellationToken);

    /// <summary>The agent ends their wrap-up early.</summary>
    public Task<bool> ReadyAsync(string merchantId, string agentId, CancellationToken cancellationToken) =>
        ChangeAsync(merchantId, agentId, (a, now) => a.Ready(now), cancellationToken);

    private async Task<bool> ChangeAsync(string merchantId, string agentId, Func<AgentAvailability, DateTimeOffset, AgentAvailability?> change, CancellationToken cancellationToken)
    {
        var changed = await concurrency.ExecuteAsync($"Agent {merchantId}/{agentId}", async ct =>
        {
            var current = await ReadAsync(merchantId, agentId, ct).ConfigureAwait(false);
            if (current is not { } c || change(c.Availability, time.GetUtcNow()) is not { } next)
            {
                return false;
            }

            if (next != c.Availability)
            {
                await ReplaceAsync(Entity(merchantId, c.Agent, next, c.KeyHash), c.ETag, ct).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        presence.Remove(merchantId);
        return changed;
    }

    private async Task ReplaceAsync(TableEntity entity, ETag etag, CancellationToken ct)
    {
        try
        {
            await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Replace, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            throw OptimisticConcurrency.Lost($"Agent {entity.PartitionKey}/{entity.RowKey}");
        }
    }

    private async Task<(Agent Agent, AgentAvailability Availability, ETag ETag, string? KeyHash)?> ReadAsync(string merchantId, string agentId, CancellationToken ct)
    {
        if (!MerchantValidator.IdPattern().IsMatch(agentId))
        {
            return null;
        }

        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, agentId, cancellationToken: ct).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        var (agent, availability) = Read(response.Value!);
        return (agent, availability, response.Value!.ETag, response.Value!.GetString(KeyHashColumn));
    }

    /// <summary>The hash of the agent's workspace key (AgentKeys in the agent workspace); null when none was issued.</summary>
    public async Task<(Agent Agent, string? KeyHash)?> GetWithKeyHashAsync(string merchantId, string agentId, CancellationToken cancellationToken)
    {
        var current = await ReadAsync(merchantId, agentId, cancellationToken).ConfigureAwait(false);
        return current is { } c ? (View(c.Agent, c.Availability, time.GetUtcNow()), c.KeyHash) : null;
    }

    /// <summary>Replaces the agent's workspace key hash (a new key revokes the old one); false when there is no such agent.</summary>
    public Task<bool> SetKeyHashAsync(string merchantId, string agentId, string keyHash, CancellationToken cancellationToken) =>
        ReplaceProfileAsync(merchantId, agentId, (agent, _) => (agent, keyHash), cancellationToken);

    /// <summary>Changes the agent's profile (not their availability); false when there is no such agent.</summary>
    public Task<bool> UpdateProfileAsync(string merchantId, string agentId, Action<Agent> change, CancellationToken cancellationToken) =>
        ReplaceProfileAsync(merchantId, agentId, (agent, hash) => { change(agent); return (agent, hash); }, cancellationToken);

    private async Task<bool> ReplaceProfileAsync(string merchantId, string agentId, Func<Agent, string?, (Agent, string?)> change, CancellationToken cancellationToken)
    {
        var changed = await concurrency.ExecuteAsync($"Agent {merchantId}/{agentId}", async ct =>
        {
            var current = await ReadAsync(merchantId, agentId, ct).ConfigureAwait(false);
            if (current is not { } c)
            {
                return false;
            }

            var (agent, hash) = change(c.Agent, c.KeyHash);
            agent.UpdatedAt = time.GetUtcNow();
            await ReplaceAsync(Entity(merchantId, agent, c.Availability, hash), c.ETag, ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        presence.Remove(merchantId);
        return changed;
    }

    private static (Agent, AgentAvailability) Read(TableEntity entity)
    {
        var agent = JsonSerializer.Deserialize<Agent>(entity.GetString("Document"), AppJson.Options)!;
        var state = entity.GetString("State");
        var availability = state is null
            ? AgentAvailability.Initial(agent.Available, agent.UpdatedAt ?? DateTimeOffset.UnixEpoch)
            : JsonSerializer.Deserialize<AgentAvailability>(state, AppJson.Options)!;
        return (agent, availability);
    }

    private const string KeyHashColumn = "KeyHash";

    private static TableEntity Entity(string merchantId, Agent agent, AgentAvailability availability, string? keyHash)
    {
        var profile = new Agent
        {
            Id = agent.Id,
            DisplayName = agent.DisplayName,
            PhoneNumber = agent.PhoneNumber,
            AcsUserId = agent.AcsUserId,
            TakesCallsOn = agent.TakesCallsOn,
            Priority = agent.Priority,
            UpdatedAt = agent.UpdatedAt,
        };
        var entity = new TableEntity(merchantId, agent.Id)
        {
            ["Priority"] = agent.Priority,
            ["Status"] = availability.Status.ToString(),
            ["Document"] = JsonSerializer.Serialize(profile, AppJson.Options),
            ["State"] = JsonSerializer.Serialize(availability, AppJson.Options),
        };
        if (keyHash is not null)
        {
            entity[KeyHashColumn] = keyHash;
        }

        return entity;
    }

    private static Agent View(Agent agent, AgentAvailability availability, DateTimeOffset now) => new()
    {
        Id = agent.Id,
        DisplayName = agent.DisplayName,
        PhoneNumber = agent.PhoneNumber,
        AcsUserId = agent.AcsUserId,
        TakesCallsOn = agent.TakesCallsOn,
        Priority = agent.Priority,
        UpdatedAt = agent.UpdatedAt,
        Available = availability.IsAvailable(now),
        Status = availability.Effective(now),
        CallId = availability.CallId,
        StatusSince = availability.Since,
        WrapUpUntil = availability.Effective(now) == AgentStatus.WrapUp ? availability.WrapUpUntil : null,
    };

    public void Dispose() => presence.Dispose();
}
