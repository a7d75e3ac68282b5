using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Learning;

/// <summary>A merchant's weights as the admin API shows them.</summary>
/// <param name="Configured">True while the merchant has no stored history: the live weights are its configured ones.</param>
public sealed record WeightsView(
    string MerchantId,
    WeightSetRecord Live,
    WeightSetRecord? Shadow,
    IReadOnlyList<WeightSetRecord> History,
    RefitLog? LastRefit,
    bool Configured);

/// <summary>
/// Per merchant: refits the scoring weights from its stored outcomes (<see cref="LogisticRefit"/>, with the live weights
/// as the prior), runs the candidate in shadow beside the live weights, and promotes it only when it beats them on the
/// holdout by the documented margin (<see cref="ShadowComparison"/>, <see cref="PromotionRule"/>). Below the documented
/// minimum of outcomes nothing is fitted. A candidate that cannot be compared yet (too few holdout outcomes) stays as
/// the shadow, scoring beside the live weights in every decision, until a later run can decide. Also keeps the
/// history when a merchant sets its own weights. Scoring/README.md ("Weights that learn").
/// </summary>
public sealed partial class WeightRefitService(
    IMerchantStore merchants, TableWeightStore weights, TableOutcomeStore outcomes, OptimisticConcurrency concurrency, TimeProvider time,
    ILogger<WeightRefitService> logger)
{
    /// <summary>Outcomes of sessions that started in this many recent months are learnt from.</summary>
    public const int Months = 6;

    /// <summary>At most this many sessions per refit (a refit on 100,000 takes about a second).</summary>
    public const int MaxSessions = 200_000;

    public async Task<WeightsView> ViewAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        var stored = await weights.GetAsync(merchant.Id, cancellationToken).ConfigureAwait(false);
        var history = stored?.History ?? Configured(merchant);
        return new WeightsView(merchant.Id, history.Live, history.Shadow, history.Versions, stored?.LastRefit, stored is null);
    }

    public async Task<RefitLog> RefitAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        var now = time.GetUtcNow();
        var sessions = await outcomes.ListAsync(merchant.Id, now, Months, MaxSessions, cancellationToken).ConfigureAwait(false);
        var (training, holdout) = LearningSets.Build(sessions);
        var trainingSessions = training.Select(e => e.Group).Distinct().Count();
        var holdoutSessions = holdout.Select(e => e.Group).Distinct().Count();

        var log = await concurrency.ExecuteAsync($"Weights {merchant.Id}", async ct =>
        {
            var stored = await weights.GetAsync(merchant.Id, ct).ConfigureAwait(false);
            var history = stored?.History ?? Configured(merchant);
            var live = history.Live;
            var fit = LogisticRefit.Fit(training, prior: live.Weights);
            RefitLog entry;
            if (!fit.Fitted)
            {
                // Not enough outcomes: the live weights stay, and so does a shadow still waiting for its comparison.
                entry = new RefitLog(now, "skipped", trainingSessions, holdoutSessions, fit.Problems, null);
            }
            else
            {
                history = history.AddShadow(fit, now);
                var shadow = history.Shadow!;
                var comparison = ShadowComparison.Compare(new CartScorer(live.Weights), new CartScorer(shadow.Weights), holdout);
                if (!CanCompare(holdout))
                {
                    entry = new RefitLog(now, "waiting", trainingSessions, holdoutSessions, fit.Problems, comparison.Verdict);
                }
                else
                {
                    history = history.Decide(shadow.Version, comparison, now);
                    entry = new RefitLog(now, comparison.Promote ? "promoted" : "rejected", trainingSessions, holdoutSessions, fit.Problems, comparison.Verdict);
                }
            }

            if (!await weights.TrySaveAsync(history, entry, stored?.ETag, ct).ConfigureAwait(false))
            {
                throw OptimisticConcurrency.Lost($"Weights {merchant.Id}");
            }

            return entry;
        }, cancellationToken).ConfigureAwait(false);

        // This instance scores with the new weights (or beside the new shadow) at once; others within their cache's life.
        merchants.Forget(merchant.Id);
        LogRefit(merchant.Id, log.Outcome, log.TrainingSessions, log.HoldoutSessions, log.Verdict ?? string.Join(" ", log.Problems));
        return log;
    }

    /// <summary>
    /// The merchant replaced its weight overrides: its own weights go live at once (any shadow is dropped). Nothing is
    /// stored while a merchant only ever had its configured weights (version 1 is then those).
    /// </summary>
    public Task MerchantWeightsChangedAsync(Merchant before, Merchant after, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.ToScoringWeights().Equals(after.ToScoringWeights()))
        {
            return Task.CompletedTask;
        }

        var now = time.GetUtcNow();
        return concurrency.ExecuteAsync($"Weights {after.Id}", async ct =>
        {
            var stored = await weights.GetAsync(after.Id, ct).ConfigureAwait(false);
            var history = (stored?.History ?? Configured(before)).SetByMerchant(after.ToScoringWeights(), now);
            if (!await weights.TrySaveAsync(history, stored?.LastRefit, stored?.ETag, ct).ConfigureAwait(false))
            {
                throw OptimisticConcurrency.Lost($"Weights {after.Id}");
            }

            merchants.Forget(after.Id);
        }, cancellationToken).AsTask();
    }

    /// <summary>The history a merchant has before anything is stored: its configured weights, live as version 1.</summary>
    private static WeightHistory Configured(Merchant merchant) =>
        WeightHistory.Start(
            merchant.Id,
            merchant.ToScoringWeights(),
            merchant.Scoring.WeightOverrides is { Count: > 0 } ? WeightHistory.SourceOverride : WeightHistory.SourceDefault,
            merchant.UpdatedAt ?? DateTimeOffset.UnixEpoch);

    private static bool CanCompare(IReadOnlyList<TrainingExample> holdout)
    {
        var rule = PromotionRule.Default;
        double sessions = 0, abandoned = 0;
        foreach (var e in holdout)
        {
            var w = Math.Max(0, e.Weight);
            sessions += w;
            abandoned += e.Abandoned ? w : 0;
        }

        return sessions >= rule.MinHoldoutSessions && Math.Min(abandoned, sessions - abandoned) >= rule.MinHoldoutPerOutcome;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refit for {MerchantId}: {Outcome} ({TrainingSessions} training, {HoldoutSessions} holdout sessions). {Verdict}")]
    private partial void LogRefit(string merchantId, string outcome, int trainingSessions, int holdoutSessions, string verdict);
}
