using CartCall.Domain.Experiments;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// One offer decision, yes or no, with the reasons: what the merchant's decision log shows. A decision to offer in the
/// control group (<see cref="Arm"/> = control) is recorded with <see cref="Propose"/> true and no offer id: it counts
/// against the caps and the budget like any offer, but nothing is shown.
/// </summary>
/// <param name="EventId">The decision's cause: the cart event's id, or the idle check's stable id.</param>
/// <param name="Arm">The session's side of the experiment (assigned at decision time; stable per session).</param>
/// <param name="WeightsVersion">The version of the merchant's weights that made <see cref="Score"/>.</param>
/// <param name="Features">The model's inputs at the decision: what a refit learns from.</param>
/// <param name="ShadowScore">The score the shadow weights (waiting for their comparison) gave the same features.</param>
public sealed record StoredDecision(
    string MerchantId,
    string SessionId,
    DateTimeOffset DecidedAt,
    string Trigger,
    string? EventId,
    bool Propose,
    double Score,
    string State,
    decimal ExpectedValue,
    IReadOnlyList<StoredReason> Reasons,
    IReadOnlyList<StoredScoreReason> ScoreReasons,
    string? OfferId,
    ExperimentArm Arm = ExperimentArm.Treatment,
    int? WeightsVersion = null,
    SessionFeatures? Features = null,
    double? ShadowScore = null,
    int? ShadowWeightsVersion = null)
{
    /// <summary>What the storefront may learn of this decision: a control-group offer looks like no offer at all.</summary>
    public StoredDecision ForStorefront() => Arm == ExperimentArm.Control && Propose ? this with { Propose = false, OfferId = null } : this;
}

public sealed record StoredReason(string Code, string Message)
{
    public static StoredReason From(DecisionReason r) => new(r.Code.ToString(), r.Message);
}

public sealed record StoredScoreReason(string Feature, double Contribution, string Description);
