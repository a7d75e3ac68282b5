using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Azure.Data.Tables;
using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Experiments;

/// <summary>
/// How finished sessions ended, in the <c>outcomes</c> table: one <see cref="LabelledSession"/> per session, partitioned by
/// merchant and the UTC month the session started (so a session that comes back later replaces its own row), with the
/// features of its last <see cref="MaxSnapshots"/> decisions compressed. What the refit learns from.
/// </summary>
public sealed class TableOutcomeStore(StorageClients storage)
{
    /// <summary>Snapshots kept per session: the refit weighs a session's snapshots as one session whatever their number.</summary>
    public const int MaxSnapshots = 50;

    private readonly TableClient table = storage.Table(StorageNames.OutcomesTable);

    public static string PartitionKey(string merchantId, DateTimeOffset startedAt) =>
        $"{merchantId}|{startedAt.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture)}";

    public Task SaveAsync(string merchantId, DateTimeOffset startedAt, DateTimeOffset finishedAt, LabelledSession outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var entity = new TableEntity(PartitionKey(merchantId, startedAt), outcome.SessionId)
        {
            ["Arm"] = outcome.Arm == ExperimentArm.Control ? "control" : "treatment",
            ["OfferShown"] = outcome.OfferShown,
            ["Completed"] = outcome.Completed,
            ["FinishedAt"] = finishedAt,
            ["Snapshots"] = Encode(outcome.Snapshots.TakeLast(MaxSnapshots).ToList()),
        };
        return table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The outcomes of sessions that started in the <paramref name="months"/> most recent UTC months up to <paramref name="now"/>, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<LabelledSession>> ListAsync(string merchantId, DateTimeOffset now, int months, int max, CancellationToken cancellationToken)
    {
        var result = new List<LabelledSession>();
        var month = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < months && result.Count < max; i++, month = month.AddMonths(-1))
        {
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {PartitionKey(merchantId, month)}");
            await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                result.Add(new LabelledSession(
                    e.RowKey,
                    string.Equals(e.GetString("Arm"), "control", StringComparison.OrdinalIgnoreCase) ? ExperimentArm.Control : ExperimentArm.Treatment,
                    e.GetBoolean("OfferShown") ?? false,
                    e.GetBoolean("Completed") ?? false,
                    Decode(e.GetBinary("Snapshots"))));
                if (result.Count >= max)
                {
                    break;
                }
            }
        }

        return result;
    }

    private static byte[] Encode(IReadOnlyList<SessionFeatures> snapshots)
    {
        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            JsonSerializer.Serialize(brotli, snapshots, AppJson.Options);
        }

        return buffer.ToArray();
    }

    private static IReadOnlyList<SessionFeatures> Decode(byte[]? bytes)
    {
        if (bytes is null || bytes.Length == 0)
        {
            return [];
        }

        using var brotli = new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress);
        return JsonSerializer.Deserialize<List<SessionFeatures>>(brotli, AppJson.Options) ?? [];
    }
}

/// <summary>
/// Carries out a finished session's outcome row: gathers the features every decision saw (from the decision log),
/// whether an offer was shown, and how the session ended, and stores them as one <see cref="LabelledSession"/>.
/// </summary>
public sealed class OutcomeOutboxHandler(ISessionStore sessions, TableOfferStore offers, TableOutcomeStore outcomes) : IOutboxHandler
{
    /// <summary>The decisions read per session: more than the snapshots kept, so the newest are always among them.</summary>
    private const int MaxDecisions = 200;

    public OutboxKind Kind => OutboxKind.Outcome;

    public async Task<OutboxResult> HandleAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (QueueMessages.TryRead<OutcomeFollowUp>(entry.Item.Payload) is not { } finished)
        {
            return OutboxResult.Drop;
        }

        var decisions = await sessions.ListDecisionsAsync(entry.MerchantId, entry.SessionId, MaxDecisions, cancellationToken).ConfigureAwait(false);
        var snapshots = decisions.Reverse().Where(d => d.Features is not null).Select(d => d.Features!).ToList();
        if (snapshots.Count == 0)
        {
            // Nothing was ever decided with features (decisions from before they were kept): nothing to learn from.
            return OutboxResult.Done;
        }

        var arm = decisions[0].Arm;
        var shown = arm == ExperimentArm.Treatment
            && (await offers.ListForSessionAsync(entry.MerchantId, entry.SessionId, cancellationToken).ConfigureAwait(false))
                .Any(o => o.Status is OfferStatus.Shown or OfferStatus.Accepted or OfferStatus.Dismissed || o.ShownAt is not null);
        var startedAt = finished.StartedAt ?? decisions[^1].DecidedAt;
        await outcomes.SaveAsync(entry.MerchantId, startedAt, finished.FinishedAt,
            new LabelledSession(entry.SessionId, arm, shown, finished.Completed, snapshots), cancellationToken).ConfigureAwait(false);
        return OutboxResult.Done;
    }
}

/// <summary>Registers the experiment's stores, services and outbox handlers.</summary>
public static class ExperimentsFeature
{
    public static IServiceCollection AddExperiments(this IServiceCollection services)
    {
        services.AddSingleton<TableExperimentStore>();
        services.AddSingleton<TableOutcomeStore>();
        services.AddSingleton<ExperimentOutcomes>();
        services.AddSingleton<ExperimentResults>();
        services.AddSingleton<IOutboxHandler, ExperimentOutboxHandler>();
        services.AddSingleton<IOutboxHandler, OutcomeOutboxHandler>();
        return services;
    }
}
