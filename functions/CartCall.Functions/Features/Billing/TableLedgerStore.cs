using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// The ledger in Table storage: one entity per entry, partition <c>{merchant}|{yyyy-MM}|{shard}</c>, row key
/// <c>{source}|{kind}</c>. Entries are only ever added: the service refuses a second add of a key (409), which is the
/// ledger's duplicate guard, with no read-before-write race. The shard is a stable hash of the source's call, so a
/// call's entries share a partition and go in one entity-group transaction (together or not at all), while a busy
/// merchant's month is spread over <see cref="Shards"/> partitions that a statement reads in parallel.
/// </summary>
public sealed partial class TableLedgerStore(StorageClients storage, ILogger<TableLedgerStore> logger) : ILedgerStore
{
    private const int MaxBatch = 100;
    private static readonly string[] ProjectedColumns =
        ["PartitionKey", "RowKey", "MerchantId", "SourceId", "Kind", "Period", "Currency", "OccurredAt", "Lines", "Mode", "Region", "StartedAt",
         "BillableSeconds", "PerCallMinor", "PerMinuteMinor", "UsageMinor", "PlanId", "Reference"];

    private readonly TableClient table = storage.Table(StorageNames.LedgerTable);

    /// <summary>Partitions per merchant-month: a partition is served by one server, so one huge partition reads serially.</summary>
    public const int Shards = 16;

    public static string PartitionOf(string merchantId, StatementPeriod period, string sourceId) =>
        MonthPrefix(merchantId, period) + ShardOf(sourceId).ToString("x2", CultureInfo.InvariantCulture);

    public static string MonthPrefix(string merchantId, StatementPeriod period) => Escape(merchantId) + "|" + period + "|";

    /// <summary>FNV-1a of the source up to its first '/', so a call's refunds sit with the call (stable across processes).</summary>
    public static int ShardOf(string sourceId)
    {
        var slash = sourceId.IndexOf('/', StringComparison.Ordinal);
        var head = slash < 0 ? sourceId : sourceId[..slash];
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(head))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return (int)(hash % Shards);
    }

    public static string RowOf(string key) => Escape(key);

    public async Task<PostingReport> PostAsync(IReadOnlyList<LedgerTransaction> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var problems = entries.SelectMany(e => e.Validate()).ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Unbalanced ledger entries: " + string.Join(" ", problems), nameof(entries));
        }

        int posted = 0, already = 0;
        var conflicts = new List<string>();
        foreach (var partition in entries.GroupBy(e => PartitionOf(e.MerchantId, e.Period, e.SourceId)))
        {
            var group = partition.DistinctBy(e => e.Key).ToList();
            foreach (var chunk in group.Chunk(MaxBatch))
            {
                if (chunk.Length > 1)
                {
                    try
                    {
                        await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(e))), cancellationToken)
                            .ConfigureAwait(false);
                        posted += chunk.Length;
                        continue;
                    }
                    catch (TableTransactionFailedException e) when (e.Status == 409)
                    {
                        // Some of these were posted before (a replay): read which, and add only the new ones.
                    }
                }

                var existing = chunk.Length > 1 ? await ExistingAsync(partition.Key, chunk, cancellationToken).ConfigureAwait(false) : [];
                foreach (var entry in chunk)
                {
                    if (existing.TryGetValue(RowOf(entry.Key), out var stored))
                    {
                        if (stored.SameAs(entry))
                        {
                            already++;
                        }
                        else
                        {
                            conflicts.Add(entry.Key);
                            LogConflict(logger, entry.Key, entry.MerchantId);
                        }

                        continue;
                    }

                    var outcome = await AddOneAsync(entry, cancellationToken).ConfigureAwait(false);
                    switch (outcome)
                    {
                        case PostOutcome.Posted: posted++; break;
                        case PostOutcome.AlreadyPosted: already++; break;
                        default:
                            conflicts.Add(entry.Key);
                            LogConflict(logger, entry.Key, entry.MerchantId);
                            break;
                    }
                }
            }
        }

        return new PostingReport(posted, already, conflicts);
    }

    public async Task<LedgerTransaction?> FindAsync(string merchantId, StatementPeriod period, string key, CancellationToken cancellationToken)
    {
        var source = key[..key.LastIndexOf('|')];
        var response = await table.GetEntityIfExistsAsync<TableEntity>(PartitionOf(merchantId, period, source), RowOf(key), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    public async IAsyncEnumerable<LedgerTransaction> ReadAsync(string merchantId, StatementPeriod period, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The month's shards are read in parallel; entries come back shard by shard (a statement does not need an order).
        var prefix = MonthPrefix(merchantId, period);
        var shards = Enumerable.Range(0, Shards).Select(async shard =>
        {
            var list = new List<LedgerTransaction>();
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {prefix + shard.ToString("x2", CultureInfo.InvariantCulture)}");
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ProjectedColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                list.Add(FromEntity(entity));
            }

            return list;
        }).ToList();
        foreach (var shard in shards)
        {
            foreach (var entry in await shard.ConfigureAwait(false))
            {
                yield return entry;
            }
        }
    }

    public async Task<LedgerCheck> CheckAsync(string? merchantId, StatementPeriod? period, CancellationToken cancellationToken)
    {
        var entries = new List<LedgerTransaction>();
        if (merchantId is not null && period is { } p)
        {
            await foreach (var entry in ReadAsync(merchantId, p, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(entry);
            }
        }
        else
        {
            // '|' < '}' in ordinal order, so [m|, m}) is exactly the merchant's partitions.
            var filter = merchantId is { } m
                ? TableClient.CreateQueryFilter($"PartitionKey ge {Escape(m) + "|"} and PartitionKey lt {Escape(m) + "}"}")
                : null;
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ProjectedColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var entry = FromEntity(entity);
                if (period is null || entry.Period == period)
                {
                    entries.Add(entry);
                }
            }
        }

        var balances = Ledgers.Balances(entries)
            .GroupBy(kv => kv.Key.Currency, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyDictionary<LedgerAccount, long>)g.ToDictionary(kv => kv.Key.Account, kv => kv.Value), StringComparer.Ordinal);
        return new LedgerCheck(entries.Count, balances, Ledgers.CheckInvariants(entries));
    }

    /// <summary>The stored entries among <paramref name="chunk"/>, by row key (a filter may hold 15 comparisons).</summary>
    private async Task<Dictionary<string, LedgerTransaction>> ExistingAsync(string partition, LedgerTransaction[] chunk, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, LedgerTransaction>(StringComparer.Ordinal);
        foreach (var keys in chunk.Select(e => RowOf(e.Key)).Chunk(14))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}") + " and ("
                + string.Join(" or ", keys.Select(k => TableClient.CreateQueryFilter($"RowKey eq {k}"))) + ")";
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, select: ProjectedColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found[entity.RowKey] = FromEntity(entity);
            }
        }

        return found;
    }

    private async Task<PostOutcome> AddOneAsync(LedgerTransaction entry, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddEntityAsync(ToEntity(entry), cancellationToken).ConfigureAwait(false);
            return PostOutcome.Posted;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await FindAsync(entry.MerchantId, entry.Period, entry.Key, cancellationToken).ConfigureAwait(false);
            return existing is not null && existing.SameAs(entry) ? PostOutcome.AlreadyPosted : PostOutcome.Conflict;
        }
    }

    /// <summary>The entity an entry is stored as (public for the benchmark's floor, which writes the same entities).</summary>
    public static TableEntity ToEntity(LedgerTransaction e)
    {
        var entity = new TableEntity(PartitionOf(e.MerchantId, e.Period, e.SourceId), RowOf(e.Key))
        {
            ["MerchantId"] = e.MerchantId,
            ["SourceId"] = e.SourceId,
            ["Kind"] = PostingKinds.Name(e.Kind),
            ["Period"] = e.Period.ToString(),
            ["Currency"] = e.Currency.Code,
            ["OccurredAt"] = e.OccurredAt,
            ["Lines"] = EncodeLines(e.Lines),
            ["Debits"] = e.Debits,
        };
        if (e.Reference is not null) entity["Reference"] = e.Reference;
        if (e.Usage is { } u)
        {
            entity["Mode"] = u.Mode == CallMode.Phone ? "phone" : "browser";
            if (u.Region is not null) entity["Region"] = u.Region;
            entity["StartedAt"] = u.StartedAt;
            entity["BillableSeconds"] = u.BillableSeconds;
            entity["PerCallMinor"] = u.PerCallMinor;
            entity["PerMinuteMinor"] = u.PerMinuteMinor;
            entity["UsageMinor"] = u.UsageMinor;
            entity["PlanId"] = u.PlanId;
        }

        return entity;
    }

    internal static LedgerTransaction FromEntity(TableEntity entity)
    {
        _ = StatementPeriod.TryParse(entity.GetString("Period"), out var period);
        _ = PostingKinds.TryParse(entity.GetString("Kind"), out var kind);
        UsageDetail? usage = null;
        if (entity.GetString("Mode") is { } mode)
        {
            usage = new UsageDetail(mode == "phone" ? CallMode.Phone : CallMode.Browser, entity.GetString("Region"),
                entity.GetDateTimeOffset("StartedAt") ?? default, entity.GetInt32("BillableSeconds") ?? 0, entity.GetInt64("PerCallMinor") ?? 0,
                entity.GetInt64("PerMinuteMinor") ?? 0, entity.GetInt64("UsageMinor") ?? 0, entity.GetString("PlanId") ?? "");
        }

        return new LedgerTransaction(entity.GetString("MerchantId"), entity.GetString("SourceId"), kind, period,
            entity.GetDateTimeOffset("OccurredAt") ?? default, Currency.Of(entity.GetString("Currency")), DecodeLines(entity.GetString("Lines")),
            usage, entity.GetString("Reference"));
    }

    /// <summary><c>account:D:amount;…</c>, compact so a 100,000-call month stays a small read.</summary>
    private static string EncodeLines(IReadOnlyList<LedgerLine> lines)
    {
        var sb = new StringBuilder();
        foreach (var line in lines)
        {
            if (sb.Length > 0) sb.Append(';');
            sb.Append((int)line.Account).Append(line.Debit ? ":D:" : ":C:").Append(line.AmountMinor.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    private static List<LedgerLine> DecodeLines(string encoded)
    {
        var lines = new List<LedgerLine>(3);
        foreach (var part in encoded.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var bits = part.Split(':');
            lines.Add(new LedgerLine((LedgerAccount)int.Parse(bits[0], CultureInfo.InvariantCulture), bits[1] == "D",
                long.Parse(bits[2], CultureInfo.InvariantCulture)));
        }

        return lines;
    }

    /// <summary>Table keys may not hold / \ # ? or control characters; those become ~XX.</summary>
    internal static string Escape(string value)
    {
        if (value.All(c => c is not ('/' or '\\' or '#' or '?' or '~') && !char.IsControl(c)))
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '/' or '\\' or '#' or '?' or '~' || char.IsControl(c))
            {
                sb.Append('~').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Ledger conflict: {Key} for merchant {MerchantId} was posted before with different content; nothing posted")]
    private static partial void LogConflict(ILogger logger, string key, string merchantId);
}
