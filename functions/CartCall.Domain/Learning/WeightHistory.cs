using System.Text.Json.Serialization;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Learning;

[JsonConverter(typeof(JsonStringEnumConverter<WeightSetStatus>))]
public enum WeightSetStatus
{
    /// <summary>Scores every session and drives decisions.</summary>
    Live,

    /// <summary>Scores beside the live set, decides nothing, waits for its comparison.</summary>
    Shadow,

    /// <summary>Was live, replaced by a better set.</summary>
    Retired,

    /// <summary>Was shadow, lost its comparison (or was replaced by a newer candidate before it was compared).</summary>
    Rejected,
}

/// <summary>One version of a merchant's weights, with where it came from and how it fared.</summary>
/// <param name="Source">"default", "override" (set by the merchant) or "refit".</param>
/// <param name="Fit">The refit that produced it, for refits.</param>
/// <param name="Comparison">The shadow comparison that promoted or rejected it.</param>
public sealed record WeightSetRecord(
    int Version,
    ScoringWeights Weights,
    string Source,
    WeightSetStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PromotedAt,
    DateTimeOffset? EndedAt,
    RefitResult? Fit,
    ShadowComparison? Comparison);

/// <summary>
/// A merchant's weight versions: one live, at most one shadow, and everything before. Immutable: each transition
/// returns a new history, so the app can store it with an ETag and a retried timer cannot apply a step twice (every
/// step names the version it acts on).
/// </summary>
public sealed record WeightHistory(string MerchantId, IReadOnlyList<WeightSetRecord> Versions)
{
    public const string SourceDefault = "default";
    public const string SourceOverride = "override";
    public const string SourceRefit = "refit";

    [JsonIgnore]
    public WeightSetRecord Live => Versions.Single(v => v.Status == WeightSetStatus.Live);

    [JsonIgnore]
    public WeightSetRecord? Shadow => Versions.SingleOrDefault(v => v.Status == WeightSetStatus.Shadow);

    /// <summary>A history whose version 1 is live.</summary>
    public static WeightHistory Start(string merchantId, ScoringWeights weights, string source, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(merchantId);
        ArgumentNullException.ThrowIfNull(weights);
        return new WeightHistory(merchantId, [new WeightSetRecord(1, weights, source, WeightSetStatus.Live, at, at, null, null, null)]);
    }

    /// <summary>Adds a refit as the shadow set; a shadow still waiting is rejected as superseded.</summary>
    /// <exception cref="ArgumentException">The refit did not produce weights.</exception>
    public WeightHistory AddShadow(RefitResult fit, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (!fit.Fitted)
        {
            throw new ArgumentException("Only a completed refit can shadow the live weights.", nameof(fit));
        }

        var versions = Versions.Select(v => v.Status == WeightSetStatus.Shadow
            ? v with { Status = WeightSetStatus.Rejected, EndedAt = at }
            : v).ToList();
        versions.Add(new WeightSetRecord(NextVersion, fit.Weights, SourceRefit, WeightSetStatus.Shadow, at, null, null, fit, null));
        return this with { Versions = versions };
    }

    /// <summary>
    /// Applies a comparison to shadow version <paramref name="shadowVersion"/>: promoted (the live set retires) or
    /// rejected. Unchanged when that version is no longer the shadow (a repeated or stale step).
    /// </summary>
    public WeightHistory Decide(int shadowVersion, ShadowComparison comparison, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        if (Shadow is not { } shadow || shadow.Version != shadowVersion)
        {
            return this;
        }

        var versions = Versions.Select(v =>
        {
            if (v.Version == shadowVersion)
            {
                return comparison.Promote
                    ? v with { Status = WeightSetStatus.Live, PromotedAt = at, Comparison = comparison }
                    : v with { Status = WeightSetStatus.Rejected, EndedAt = at, Comparison = comparison };
            }

            return comparison.Promote && v.Status == WeightSetStatus.Live ? v with { Status = WeightSetStatus.Retired, EndedAt = at } : v;
        }).ToList();
        return this with { Versions = versions };
    }

    /// <summary>A merchant's own weights go live at once (the merchant chose them); any shadow is dropped.</summary>
    public WeightHistory SetByMerchant(ScoringWeights weights, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var versions = Versions.Select(v => v.Status switch
        {
            WeightSetStatus.Live => v with { Status = WeightSetStatus.Retired, EndedAt = at },
            WeightSetStatus.Shadow => v with { Status = WeightSetStatus.Rejected, EndedAt = at },
            _ => v,
        }).ToList();
        versions.Add(new WeightSetRecord(NextVersion, weights, SourceOverride, WeightSetStatus.Live, at, at, null, null, null));
        return this with { Versions = versions };
    }

    private int NextVersion => Versions.Count == 0 ? 1 : Versions.Max(v => v.Version) + 1;
}
