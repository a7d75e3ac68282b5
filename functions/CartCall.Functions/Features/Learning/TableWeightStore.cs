using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using CartCall.Domain.Learning;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Learning;

/// <summary>The last refit that ran for a merchant, fitted or not, for the admin view.</summary>
/// <param name="Outcome">"shadow" (a candidate was added), "promoted", "rejected", "waiting" (not enough holdout yet), or "skipped" (not enough data).</param>
public sealed record RefitLog(DateTimeOffset At, string Outcome, int TrainingSessions, int HoldoutSessions, IReadOnlyList<string> Problems, string? Verdict);

/// <summary>A merchant's weights as stored: the history and its version for the next write.</summary>
public sealed record StoredWeights(WeightHistory History, RefitLog? LastRefit, string ETag);

/// <summary>
/// The merchants' weight histories in the <c>weights</c> table: one row per merchant (<c>PK = merchant id</c>,
/// <c>RK = "history"</c>) holding <see cref="WeightHistory"/> as JSON, written with its ETag so two refits (or a refit
/// and a merchant's own weights) never overwrite each other.
/// </summary>
public sealed class TableWeightStore(StorageClients storage)
{
    private const string Row = "history";

    /// <summary>Stored documents keep what the domain computed, NaN included (a comparison with one outcome has no AUC).</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    private readonly TableClient table = storage.Table(StorageNames.WeightsTable);

    public async Task<StoredWeights?> GetAsync(string merchantId, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(merchantId, Row, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!response.HasValue)
        {
            return null;
        }

        var e = response.Value!;
        var history = JsonSerializer.Deserialize<WeightHistory>(e.GetString("History"), Json)
            ?? throw new InvalidDataException($"The weight history of {merchantId} decoded to null.");
        var log = e.GetString("LastRefit") is { } text ? JsonSerializer.Deserialize<RefitLog>(text, Json) : null;
        return new StoredWeights(history, log, e.ETag.ToString());
    }

    /// <summary>Writes the history if nobody else wrote since <paramref name="etag"/> (null: the first write); false on a lost race.</summary>
    public async Task<bool> TrySaveAsync(WeightHistory history, RefitLog? lastRefit, string? etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        var entity = new TableEntity(history.MerchantId, Row)
        {
            ["History"] = JsonSerializer.Serialize(history, Json),
            ["LastRefit"] = lastRefit is null ? null : JsonSerializer.Serialize(lastRefit, Json),
            ["LiveVersion"] = history.Live.Version,
        };
        try
        {
            if (etag is null)
            {
                await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = AppJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        return options;
    }
}
