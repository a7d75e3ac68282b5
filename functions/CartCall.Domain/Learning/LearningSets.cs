using CartCall.Domain.Experiments;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Learning;

/// <summary>
/// What the app keeps per finished session for learning: the features each decision saw (events and idle checks) and
/// how the session ended.
/// </summary>
/// <param name="OfferShown">An offer was shown (treatment): the outcome then says what a call did, not what the shopper
/// would have done, so the session cannot teach the risk model.</param>
/// <param name="Snapshots">The features at each decision, in order.</param>
public sealed record LabelledSession(string SessionId, ExperimentArm Arm, bool OfferShown, bool Completed, IReadOnlyList<SessionFeatures> Snapshots);

/// <summary>Splits outcomes into the refit's training set and the shadow comparison's holdout set.</summary>
public static class LearningSets
{
    /// <summary>
    /// Training: treatment sessions never shown an offer. Holdout: control sessions (never shown anything by design,
    /// and never used for fitting, so the comparison is out of sample and unaffected by calls). Sessions shown an offer
    /// are left out of both. Each session's snapshots share a weight of 1, so a session re-scored ten times while idle
    /// counts no more than one scored once. Only snapshots with something in the cart are kept: the score is the chance
    /// that a cart is abandoned, no offer is ever made on an empty cart, and a visit without a cart abandons nothing.
    /// A snapshot taken once the order had completed is dropped too (it would teach the model the answer).
    /// </summary>
    public static (IReadOnlyList<TrainingExample> Training, IReadOnlyList<TrainingExample> Holdout) Build(IEnumerable<LabelledSession> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var training = new List<TrainingExample>();
        var holdout = new List<TrainingExample>();
        foreach (var o in outcomes)
        {
            if (o is null || o.Snapshots is null || (o.Arm == ExperimentArm.Treatment && o.OfferShown))
            {
                continue;
            }

            var usable = o.Snapshots.Where(s => s is not null && !s.OrderCompleted && s.ItemCount > 0).ToList();
            if (usable.Count == 0)
            {
                continue;
            }

            var abandoned = !o.Completed;
            var target = o.Arm == ExperimentArm.Control ? holdout : training;
            var weight = 1.0 / usable.Count;
            foreach (var snapshot in usable)
            {
                target.Add(new TrainingExample(snapshot, abandoned, weight, o.SessionId));
            }
        }

        return (training, holdout);
    }
}
