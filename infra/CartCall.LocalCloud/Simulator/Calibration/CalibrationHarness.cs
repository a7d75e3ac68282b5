using CartCall.Domain.Carts;
using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using CartCall.Functions.Features.CartEvents;

namespace CartCall.LocalCloud.Simulator.Calibration;

/// <summary>What a merchant runs: weights, policy settings and the idle schedule.</summary>
public sealed record CalibrationPolicy(string Name, ScoringWeights Weights, OfferPolicySettings Settings, IdleSchedule Idle)
{
    private static readonly FrequencyCaps Caps = new(2, 3, TimeSpan.FromMinutes(10), 1);

    /// <summary>
    /// The product before this calibration: the old default weights and thresholds (score ≥ 0.6, cart ≥ 50, EV with
    /// recovery 0.25 and the call cost on every offer) and a single idle check 90 s after the last event.
    /// </summary>
    public static CalibrationPolicy Before { get; } = new(
        "before",
        PreviousDefaults.Weights,
        Open(new ValueModel(0.3m, 2m, 0.25m), new ScoringThresholds(0.6, 50m)),
        IdleSchedule.Once(TimeSpan.FromSeconds(90)));

    /// <summary>The shipped defaults: <see cref="ScoringWeights.Default"/>, <see cref="OfferDefaults"/> and <see cref="IdleSchedule.Default"/>.</summary>
    public static CalibrationPolicy Shipped { get; } = new(
        "shipped",
        ScoringWeights.Default,
        Open(OfferDefaults.Value, OfferDefaults.Thresholds),
        IdleSchedule.Default);

    /// <summary>Settings open around the clock with an ample budget: the harness measures the model, not staffing.</summary>
    public static OfferPolicySettings Open(ValueModel value, ScoringThresholds thresholds) =>
        new(value, thresholds, BusinessHours.AlwaysOpen, Caps, int.MaxValue);
}

/// <summary>The weights the product shipped before calibration, kept so BEFORE can be re-measured.</summary>
public static class PreviousDefaults
{
    public static ScoringWeights Weights { get; } = new(-4.0, new Dictionary<string, double>(StringComparer.Ordinal)
    {
        [FeatureNames.CartValue] = 0.15,
        [FeatureNames.CartMargin] = 0.0,
        [FeatureNames.ItemCount] = 0.10,
        [FeatureNames.DistinctItems] = 0.05,
        [FeatureNames.SecondsInCheckout] = 0.08,
        [FeatureNames.ShippingDwellSeconds] = 0.25,
        [FeatureNames.PaymentFailures] = 0.90,
        [FeatureNames.CouponRejections] = 0.60,
        [FeatureNames.Revisits] = 0.30,
        [FeatureNames.IdleSeconds] = 0.12,
        [FeatureNames.ItemsRemoved] = 0.25,
        [FeatureNames.CartViews] = 0.10,
        [FeatureNames.PageViews] = -0.15,
        [FeatureNames.ReachedCheckout] = 1.50,
    });
}

/// <summary>How a calibration run is set up.</summary>
/// <param name="HoldoutShare">Share of sessions in the control group (the product's default is 0.10; a calibration
/// that wants a tight uplift interval uses up to 0.5).</param>
/// <param name="NeverOffer">Score and record snapshots but never propose: the data a refit learns from.</param>
public sealed record CalibrationOptions(
    int Visits = 2_000,
    int Seed = 20_260_314,
    double HoldoutShare = HoldoutAssignment.DefaultShare,
    bool NeverOffer = false)
{
    public const string MerchantId = "calibration";

    public const string Currency = "USD";

    /// <summary>Visits start this far apart in shopper time (they never share a session, so any spacing works).</summary>
    public static readonly TimeSpan Spacing = TimeSpan.FromMinutes(3);

    public static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    /// <summary>A saved cart's order lands this long after the offer (the call).</summary>
    public static readonly TimeSpan CallDuration = TimeSpan.FromMinutes(6);

    public ShopperSessionGeneratorOptions Generator { get; init; } = new() { Currency = Currency };

    public ExperimentSettings Experiment => new(HoldoutShare, TimeSpan.FromHours(24));
}

/// <summary>
/// Runs simulated visits through the real domain, in process and in shopper time (no app, no HTTP, no clock): each
/// event is applied to a <see cref="CartSession"/> and decided by <see cref="CartScorer"/> and <see cref="OfferPolicy"/>
/// as the app does on ingest, and between events the <see cref="IdleSchedule"/> re-scores the session as the app's
/// re-evaluation queue does. The first offer of a session is answered by the behaviour model (seen if the page is
/// still open, accepted, connected, converted), in the treatment arm only; the holdout's offer is recorded and not
/// shown. Deterministic for a seed.
/// </summary>
/// <remarks>
/// Simplifications, said plainly: one offer per session at most (the app may make a second after 10 minutes); agents
/// are always free; the shopper's later events are not changed by a declined offer.
/// </remarks>
public static class CalibrationHarness
{
    public static CalibrationResult Run(CalibrationPolicy policy, CalibrationOptions options, Action<LabelledSession>? learn = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        var problems = policy.Settings.Validate().Concat(policy.Idle.Validate()).Concat(options.Experiment.Validate()).ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(policy));
        }

        var generator = new ShopperSessionGenerator(options.Seed, options.Generator);
        var model = options.Generator.Behaviour;
        var scorer = new CartScorer(policy.Weights);
        var tally = new Tally();
        var experiment = new List<ExperimentSession>();

        for (var visit = 0; visit < options.Visits; visit++)
        {
            var simulated = generator.Next(CalibrationOptions.Start + (visit * CalibrationOptions.Spacing));
            // Per-visit randomness for the shopper's answer, so one visit's offer never shifts another visit's draws.
            var chance = new Random(SeedMix.Of(options.Seed, visit, stream: 1));
            var run = Play(simulated, policy, scorer, options);
            tally.Visit(simulated, run);
            if (run.OfferAt is not { } offerAt)
            {
                learn?.Invoke(run.Outcome);
                continue;
            }

            var answer = Answer(simulated, offerAt, run, model, policy.Settings.Value.CallCost, chance);
            tally.Offer(simulated, run, answer);
            learn?.Invoke(run.Outcome with { OfferShown = answer.Shown, Completed = answer.OrderAt is not null });
            experiment.Add(new ExperimentSession(
                simulated.SessionId, run.Arm, offerAt, answer.Shown, answer.Accepted, answer.Connected, answer.Cost,
                answer.OrderAt, answer.OrderAt is null ? 0 : run.CartValue, answer.OrderAt is null ? 0 : answer.OrderMargin));
        }

        var end = CalibrationOptions.Start + (options.Visits * CalibrationOptions.Spacing) + TimeSpan.FromDays(2);
        var uplift = UpliftCalculator.Compute(experiment, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, end, options.Experiment);
        return tally.Result(policy.Name, options, policy.Settings.Value.CallCost, uplift);
    }

    /// <summary>What the domain did with one visit.</summary>
    internal sealed record VisitRun(
        DateTimeOffset? OfferAt,
        ExperimentArm Arm,
        double OfferScore,
        decimal CartValue,
        decimal CartMargin,
        DateTimeOffset LastEventAt,
        DateTimeOffset? CompletedAt,
        int EventsBeforeOffer,
        int Decisions,
        LabelledSession Outcome);

    /// <summary>What the shopper did with the offer.</summary>
    internal sealed record OfferAnswer(
        bool Seen,
        bool Shown,
        bool Accepted,
        bool Connected,
        bool Saved,
        decimal Cost,
        DateTimeOffset? OrderAt,
        decimal OrderMargin,
        double ExpectedSavedMargin,
        double ExpectedCost,
        double ExpectedLostMargin);

    private static VisitRun Play(SimulatedSession simulated, CalibrationPolicy policy, CartScorer scorer, CalibrationOptions options)
    {
        var session = CartSession.Start(CalibrationOptions.MerchantId, simulated.SessionId);
        var arm = HoldoutAssignment.Assign(CalibrationOptions.MerchantId, simulated.SessionId, options.HoldoutShare);
        var snapshots = new List<SessionFeatures>();
        var margin = policy.Settings.Value.DefaultMarginRate;
        DateTimeOffset? offerAt = null;
        var offerScore = 0.0;
        var decisions = 0;
        var applied = 0;

        bool Decide(DateTimeOffset at)
        {
            decisions++;
            var features = session.Features(at, margin);
            snapshots.Add(features);
            if (options.NeverOffer)
            {
                return false;
            }

            var score = scorer.Evaluate(features);
            var counters = new OfferCounters(0, session.OffersProposed, 0, session.OffersDismissed, session.LastOfferAt, 1);
            var decision = OfferPolicy.Decide(score, features, policy.Settings, counters, at, session.OrderCompleted);
            if (!decision.Propose)
            {
                return false;
            }

            session.RecordOfferProposed(at);
            offerAt = at;
            offerScore = score.Value;
            return true;
        }

        var events = simulated.Events;
        for (var i = 0; i < events.Count && offerAt is null; i++)
        {
            // Checked against shopper time, not the wall clock: the run must not depend on the day it is made.
            var (domain, problems) = CartEventMapper.ToDomain(events[i].Message, CalibrationOptions.Currency, events[i].Message.OccurredAt);
            if (domain is null)
            {
                throw new InvalidOperationException($"The generator made an event the app refuses: {string.Join(" ", problems)}");
            }

            session.Apply(domain);
            applied = i + 1;
            var at = domain.OccurredAt;
            if (Decide(at) || session.OrderCompleted)
            {
                break;
            }

            // Idle checks until the next event (or, after the last one, until the schedule stops).
            DateTimeOffset? nextEvent = i + 1 < events.Count ? events[i + 1].Message.OccurredAt : null;
            var idle = TimeSpan.Zero;
            while (true)
            {
                var check = policy.Idle.Next(IdleSessionState.Of(session, at + idle, policy.Idle), idle);
                if (check.Stop || (nextEvent is { } next && at + check.IdleAt >= next))
                {
                    break;
                }

                idle = check.IdleAt;
                if (Decide(at + idle))
                {
                    break;
                }
            }
        }

        // The shopper's own visit, whether or not the loop above stopped early at an offer.
        var last = simulated.Events[^1].Message;
        var items = last.Cart?.Items ?? [];
        var value = items.Sum(l => l.UnitPrice * l.Quantity);
        var cartMargin = items.Sum(l => (l.UnitCost is { } cost ? l.UnitPrice - cost : l.UnitPrice * margin) * l.Quantity);
        DateTimeOffset? completedAt = simulated.Outcome == SessionOutcome.Completed ? last.OccurredAt : null;
        var outcome = new LabelledSession(simulated.SessionId, arm, OfferShown: false, Completed: completedAt is not null, snapshots);
        return new VisitRun(offerAt, arm, offerScore, value, cartMargin, last.OccurredAt!.Value, completedAt, applied, decisions, outcome);
    }

    /// <summary>
    /// The shopper's answer to an offer made at <paramref name="offerAt"/>. An abandoner sees it while the page is still
    /// open (up to the profile's linger after the last event); a buyer sees it while still buying. Expected values use
    /// the model's probabilities and do not depend on the arm or the draw, so they carry no sampling noise.
    /// </summary>
    private static OfferAnswer Answer(SimulatedSession simulated, DateTimeOffset offerAt, VisitRun run, ShopperBehaviourModel model, decimal callCost, Random chance)
    {
        var profile = simulated.Profile;
        var behaviour = model.For(profile);
        var abandons = simulated.Outcome == SessionOutcome.Abandoned;
        var seen = abandons
            ? offerAt <= run.LastEventAt + profile.Linger
            : run.CompletedAt is { } done && offerAt < done;
        var saveMargin = Math.Max(0m, run.CartMargin - behaviour.Concession);
        var acceptRate = behaviour.AcceptRate * model.AcceptFactor(profile, simulated.Events.Take(run.EventsBeforeOffer).Select(e => e.Message.Type));

        var pSeen = seen ? 1.0 : 0.0;
        var expectedCost = pSeen * acceptRate * (double)callCost;
        var expectedSaved = abandons ? pSeen * acceptRate * model.ConnectRate * behaviour.ConvertOnCall * (double)saveMargin : 0;
        var expectedLost = abandons ? 0 : pSeen * (1 - acceptRate) * model.BuyerDisruptionRate * (double)run.CartMargin;

        // Draws are made in a fixed order whatever the arm, so both arms see the same shoppers.
        var accepts = chance.NextDouble() < acceptRate;
        var connects = chance.NextDouble() < model.ConnectRate;
        var converts = chance.NextDouble() < behaviour.ConvertOnCall;
        var disrupted = chance.NextDouble() < model.BuyerDisruptionRate;

        var shown = run.Arm == ExperimentArm.Treatment && seen;
        var accepted = shown && accepts;
        var connected = accepted && connects;
        var saved = connected && abandons && converts;
        var lost = shown && !abandons && !accepted && disrupted;
        DateTimeOffset? orderAt = abandons
            ? saved ? offerAt + CalibrationOptions.CallDuration : null
            : lost ? null : run.CompletedAt;
        var orderMargin = saved ? saveMargin : run.CartMargin;
        return new OfferAnswer(seen, shown, accepted, connected, saved, accepted ? callCost : 0m, orderAt, orderMargin, expectedSaved, expectedCost, expectedLost);
    }

    private sealed class Tally
    {
        private int visits;
        private int carts;
        private int abandonedCarts;
        private int checkouts;
        private int completed;
        private int decisions;
        private int offers;
        private int offeredAbandoned;
        private int offeredCarts;
        private int seen;
        private int positiveEvOffers;
        private double expectedSaved;
        private double expectedCost;
        private double expectedLost;
        private double offeredAbandonedMargin;
        private double offeredAbandonedSaved;
        private double offerDelaySeconds;
        private readonly Dictionary<string, int> offersBySituation = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> abandonedBySituation = new(StringComparer.Ordinal);

        public void Visit(SimulatedSession s, VisitRun run)
        {
            visits++;
            decisions += run.Decisions;
            var hadCart = s.HadCart;
            carts += hadCart ? 1 : 0;
            checkouts += s.Events.Any(e => e.Message.Type == "checkout_started") ? 1 : 0;
            completed += s.Outcome == SessionOutcome.Completed ? 1 : 0;
            if (hadCart && s.Outcome == SessionOutcome.Abandoned)
            {
                abandonedCarts++;
                Increment(abandonedBySituation, Situation(s.Profile));
            }
        }

        public void Offer(SimulatedSession s, VisitRun run, OfferAnswer answer)
        {
            offers++;
            offeredCarts += s.HadCart ? 1 : 0;
            var abandons = s.Outcome == SessionOutcome.Abandoned;
            offeredAbandoned += abandons ? 1 : 0;
            seen += answer.Seen ? 1 : 0;
            expectedSaved += answer.ExpectedSavedMargin;
            if (abandons)
            {
                offeredAbandonedMargin += (double)run.CartMargin;
                offeredAbandonedSaved += answer.ExpectedSavedMargin;
            }

            expectedCost += answer.ExpectedCost;
            expectedLost += answer.ExpectedLostMargin;
            positiveEvOffers += answer.ExpectedSavedMargin - answer.ExpectedCost - answer.ExpectedLostMargin > 0 ? 1 : 0;
            offerDelaySeconds += Math.Max(0, (run.OfferAt!.Value - s.Events[0].Message.OccurredAt!.Value).TotalSeconds);
            Increment(offersBySituation, Situation(s.Profile));
        }

        public CalibrationResult Result(string name, CalibrationOptions options, decimal callCost, UpliftReport uplift)
        {
            double Per1000(double x) => visits > 0 ? x * 1000.0 / visits : 0;
            double Share(double part, double whole) => whole > 0 ? part / whole : 0;
            return new CalibrationResult(
                name,
                options.Seed,
                visits,
                carts,
                abandonedCarts,
                checkouts,
                completed,
                decisions,
                offers,
                Per1000(offers),
                Share(offeredAbandoned, abandonedCarts),
                Share(offeredAbandoned, offers),
                Share(seen, offers),
                Share(positiveEvOffers, offers),
                Per1000(expectedSaved),
                Per1000(expectedCost),
                Per1000(expectedLost),
                Per1000(expectedSaved - expectedCost - expectedLost),
                offers > 0 ? offerDelaySeconds / offers : 0,
                Share(offeredAbandonedSaved, offeredAbandonedMargin),
                Share(expectedCost / Math.Max(1e-9, (double)callCost), offers),
                uplift,
                offersBySituation,
                abandonedBySituation);
        }

        private static string Situation(ShopperProfile p) => p.Intent switch
        {
            ShopperIntent.Abandoner => p.Reason.ToString(),
            ShopperIntent.Buyer => "Buyer",
            _ => "Browser",
        };

        private static void Increment(Dictionary<string, int> counts, string key) =>
            counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
