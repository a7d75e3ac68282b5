using System.Text.Json;
using CartCall.Domain.Carts;
using CartCall.Domain.Experiments;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Sessions;

/// <summary>What became of one cart event or idle check.</summary>
public enum IngestOutcome
{
    Decided,

    /// <summary>A repeat of an event already applied, or a check that is no longer the pending one: nothing changed.</summary>
    Duplicate,
}

/// <param name="Decision">The decision as the storefront may see it (<see cref="StoredDecision.ForStorefront"/>): a
/// control-group offer shows as no offer.</param>
public sealed record IngestResult(IngestOutcome Outcome, StoredDecision? Decision);

/// <summary>
/// Applies an event (or the passing of time) to a session, scores it, asks the offer policy, and stores the session, the
/// decision and the follow-ups the decision needs (the next idle check, the offer's publish, the experiment's rows) in
/// one transaction; then carries the follow-ups out (<see cref="OutboxDispatcher"/>). A crash between the two leaves
/// the follow-ups in the session's outbox, where the retry of the event, the redelivered check, the drain function and
/// the sweeper find them. One read and one transaction per event; the counters are read only when everything else
/// already says yes.
/// </summary>
public sealed partial class SessionEvaluator(
    ISessionStore sessions,
    TableOfferCounters counters,
    TableDailySpend spend,
    TableAgentStore agents,
    OutboxDispatcher outbox,
    ReevaluationQueue checks,
    OptimisticConcurrency concurrency,
    IOptions<CartSessionOptions> options,
    TimeProvider time,
    ILogger<SessionEvaluator> logger)
{
    /// <summary>A pending check overdue by more than this is taken as lost (its message poisoned); a new one replaces it.</summary>
    public static readonly TimeSpan LostCheckAfter = TimeSpan.FromMinutes(2);

    public async Task<IngestResult> IngestAsync(Merchant merchant, CartEvent cartEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cartEvent);
        using var span = Telemetry.Start(Telemetry.Spans.CartEventIngest).Ids(merchant?.Id, cartEvent.SessionId);
        span?.SetTag("cartcall.event_id", cartEvent.EventId);
        span?.SetTag("cartcall.event_type", CartEventTypes.ToWire(cartEvent.Type));
        try
        {
            var result = await EvaluateAsync(merchant!, cartEvent.SessionId, cartEvent, null, redelivered: true, cancellationToken).ConfigureAwait(false);
            span?.SetTag("cartcall.duplicate", result.Outcome == IngestOutcome.Duplicate);
            return result;
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    /// <summary>
    /// Runs the idle check due at <paramref name="dueAt"/> (the time its message names; null for a message from before
    /// due times were named). Only the session's pending check acts: a superseded or repeated message changes nothing.
    /// When due, the session is scored with the check's stable cause id; then the next check is planned.
    /// </summary>
    /// <param name="redelivered">The queue handed this message out before (a crash may have interrupted its follow-ups).</param>
    public Task<IngestResult> ReevaluateAsync(Merchant merchant, string sessionId, DateTimeOffset? dueAt, bool redelivered, CancellationToken cancellationToken) =>
        EvaluateAsync(merchant, sessionId, null, dueAt, redelivered, cancellationToken);

    private async Task<IngestResult> EvaluateAsync(
        Merchant merchant, string sessionId, CartEvent? cartEvent, DateTimeOffset? dueAt, bool redelivered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);

        // A burst of events for one session contends on its ETag: the concurrency policy retries with jitter, and a
        // session that stays contended surfaces as an exhausted conflict (503 with Retry-After).
        var attempt = await concurrency.ExecuteAsync(
            $"Session {merchant.Id}/{sessionId}", ct => EvaluateOnceAsync(merchant, sessionId, cartEvent, dueAt, ct), cancellationToken).ConfigureAwait(false);

        // The state and its follow-ups are stored; from here nothing is lost, so the follow-ups are not cancelled with
        // the request: a storefront that hung up is better served by an offer already on its way.
        if (attempt.Resend is { } early)
        {
            // Handed out before it was due (clocks, whole-second queue delays): the same check, sent again. Nothing changed,
            // so nothing was saved; the message being handled completes only after this send.
            await checks.ScheduleAsync(early, cancellationToken).ConfigureAwait(false);
        }
        else if (attempt.Saved is { } saved)
        {
            await outbox.DispatchAsync(saved.Outbox, CancellationToken.None).ConfigureAwait(false);
        }
        else if (attempt.Result.Outcome == IngestOutcome.Duplicate && redelivered)
        {
            // A repeated event, or a redelivered check, is how a sender retries after a crash: finish whatever the
            // first attempt stored but did not carry out.
            await outbox.DrainAsync(merchant.Id, sessionId, CancellationToken.None).ConfigureAwait(false);
        }

        if (attempt.Offer is { } offer)
        {
            LogOfferProposed(merchant.Id, sessionId, offer.OfferId, offer.Score);
        }

        return attempt.Result;
    }

    private sealed record Attempt(IngestResult Result, SavedSession? Saved, OfferProposed? Offer, ReevaluationRequest? Resend = null)
    {
        public static Attempt Unchanged { get; } = new(new IngestResult(IngestOutcome.Duplicate, null), null, null);
    }

    /// <summary>One read-decide-save; throws <see cref="SessionConflictException"/> when another writer got there first.</summary>
    private async ValueTask<Attempt> EvaluateOnceAsync(
        Merchant merchant, string sessionId, CartEvent? cartEvent, DateTimeOffset? dueAt, CancellationToken cancellationToken)
    {
        var schedule = options.Value.Schedule;
        var loaded = await sessions.GetAsync(merchant.Id, sessionId, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (cartEvent is null)
        {
            if (loaded is null || !IsPendingCheck(loaded.ReevaluateAt, dueAt, now))
            {
                return Attempt.Unchanged;
            }
        }
        else
        {
            loaded ??= new LoadedSession(CartSession.Start(merchant.Id, sessionId), null, null);
            if (!loaded.Session.Apply(cartEvent))
            {
                return Attempt.Unchanged;
            }
        }

        var session = loaded.Session;
        Decided? decided = null;
        if (cartEvent is not null)
        {
            decided = await DecideAsync(merchant, session, CartEventTypes.ToWire(cartEvent.Type), cartEvent.EventId, now, cancellationToken).ConfigureAwait(false);
        }
        else if (schedule.PlanCheck(session, now) is { ScoreNow: true } plan && ReachesItsMark(schedule, session, now, dueAt))
        {
            decided = await DecideAsync(merchant, session, "idle", plan.CauseId!, now, cancellationToken).ConfigureAwait(false);
        }
        else if (PlanNext(schedule, session, now, loaded.ReevaluateAt, isCheck: true, false) is { Finished: false, Schedule: { } same }
            && same.ToUnixTimeMilliseconds() == loaded.ReevaluateAt!.Value.ToUnixTimeMilliseconds())
        {
            return Attempt.Unchanged with { Resend = new ReevaluationRequest(merchant.Id, sessionId, same) };
        }

        var followUps = new List<OutboxItem>(4);
        if (decided?.EnteredExperiment == true)
        {
            followUps.Add(Item(OutboxKind.Experiment, ExperimentFollowUp.EntryKey, new ExperimentFollowUp(decided.Stored.DecidedAt, decided.Stored.Arm, null, null, null)));
        }

        if (decided?.Offer is { } offer)
        {
            followUps.Add(Item(OutboxKind.Offer, offer.OfferId, new OfferFollowUp(offer, Telemetry.CurrentTraceParent())));
        }

        var orderJustCompleted = cartEvent?.Type == CartEventType.OrderCompleted && session.OrderCompleted;
        if (orderJustCompleted && session.FirstOfferAt is { } enteredAt)
        {
            var cart = session.LatestCart;
            followUps.Add(Item(OutboxKind.Experiment, ExperimentFollowUp.OrderKey, new ExperimentFollowUp(
                enteredAt, null, session.OrderCompletedAt, cart?.Total ?? 0m, cart?.Margin(merchant.ValueModel.DefaultMarginRate) ?? 0m)));
        }

        var next = PlanNext(schedule, session, now, loaded.ReevaluateAt, isCheck: cartEvent is null, orderJustCompleted);
        if (next.Schedule is { } at)
        {
            followUps.Add(Item(OutboxKind.Reevaluate, ReevaluationRequest.Key, new ReevaluationRequest(merchant.Id, sessionId, at)));
        }

        if (next.Finished)
        {
            followUps.Add(Item(OutboxKind.Outcome, OutcomeFollowUp.Key, new OutcomeFollowUp(now, session.OrderCompleted, session.FirstSeenAt)));
        }

        try
        {
            var saved = await sessions.SaveAsync(loaded, decided?.Stored, next.ReevaluateAt, followUps, cancellationToken).ConfigureAwait(false);
            return new Attempt(new IngestResult(IngestOutcome.Decided, decided?.Stored.ForStorefront()), saved, decided?.Offer);
        }
        catch (SessionConflictException)
        {
            // The decision was made on a stale session: give back what it reserved before the next attempt decides again.
            if (decided?.Reservation is { } reservation)
            {
                await ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Whether a check message due at <paramref name="dueAt"/> is the session's pending one. Due times are kept to the
    /// millisecond on both sides; a message without one (sent before due times were named) acts when a check is due.
    /// </summary>
    internal static bool IsPendingCheck(DateTimeOffset? pending, DateTimeOffset? dueAt, DateTimeOffset now) =>
        pending is { } p && (dueAt is { } d ? p.ToUnixTimeMilliseconds() == d.ToUnixTimeMilliseconds() : p <= now + IdleSchedule.Tolerance);

    /// <summary>
    /// Whether a check reaches the mark it was scheduled for. The session's close is scheduled after the last mark (at the
    /// schedule's stop), and a check at that silence still stands for the last mark, which was decided already: it only
    /// closes. A check that comes late lands on the latest mark reached, one that comes early (beyond the tolerance)
    /// reaches none and sends itself again.
    /// </summary>
    internal static bool ReachesItsMark(IdleSchedule schedule, CartSession session, DateTimeOffset now, DateTimeOffset? dueAt) =>
        dueAt is not { } due || schedule.MarkAt(now - session.LastEventAt) is { } mark && mark >= due - session.LastEventAt - IdleSchedule.Tolerance;

    /// <summary>What follows this save: the pending check it leaves (<see cref="ReevaluateAt"/>), whether that is a new
    /// one to send (<see cref="Schedule"/>), and whether the session has just finished (its outcome is recorded).</summary>
    internal readonly record struct NextStep(DateTimeOffset? ReevaluateAt, DateTimeOffset? Schedule, bool Finished);

    /// <summary>
    /// One check is pending per session at most. While the idle schedule runs (in checkout, no order, no offer) it is the
    /// next mark; once the schedule has stopped it is the session's close: a session silent for the schedule's
    /// <see cref="IdleSchedule.StopAfter"/>, or older than its lifetime, is finished and its outcome recorded (an order
    /// finishes it at once; a visit that never had a cart is not followed at all). A new event keeps a pending check that comes no later than the one it would want (the
    /// check re-plans from the newest event when it fires) and replaces a later or lost one.
    /// </summary>
    internal static NextStep PlanNext(IdleSchedule schedule, CartSession session, DateTimeOffset now, DateTimeOffset? pending, bool isCheck, bool orderJustCompleted)
    {
        if (session.OrderCompleted)
        {
            return new NextStep(null, null, orderJustCompleted || isCheck);
        }

        // A visit that never had anything in its cart teaches the model nothing and can never be offered: no close.
        if (session.Counts.ItemAdded == 0 && (session.LatestCart?.ItemCount ?? 0) == 0 && session.CheckoutStartedAt is null)
        {
            return new NextStep(isCheck ? null : pending, null, false);
        }

        var idle = now - session.LastEventAt;
        var end = Min(session.LastEventAt + schedule.StopAfter, session.FirstSeenAt + schedule.SessionLifetime);
        if (isCheck && now >= end - IdleSchedule.Tolerance)
        {
            return new NextStep(null, null, true);
        }

        var check = schedule.Next(IdleSessionState.Of(session, now, schedule), idle);
        var wanted = Millis(Max(check.Stop ? end : now + check.Delay, now));
        if (!isCheck && pending is { } p && p >= now - LostCheckAfter && p <= wanted)
        {
            return new NextStep(p, null, false);
        }

        return new NextStep(wanted, wanted, false);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    // Due times travel in messages and table properties; whole milliseconds compare equal on both sides.
    private static DateTimeOffset Millis(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static OutboxItem Item<T>(OutboxKind kind, string key, T payload) => new(kind, key, JsonSerializer.Serialize(payload, AppJson.Options));

    private sealed record Reservation(string MerchantDayKey, string? ShopperDayKey);

    /// <param name="EnteredExperiment">This is the session's first decision to offer (either arm): it enters the experiment.</param>
    private sealed record Decided(StoredDecision Stored, Reservation? Reservation, OfferProposed? Offer, bool EnteredExperiment);

    private async Task<Decided> DecideAsync(
        Merchant merchant, CartSession session, string trigger, string cause, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var span = Telemetry.Start(Telemetry.Spans.Decision).Ids(merchant.Id, session.SessionId);
        span?.SetTag("cartcall.trigger", trigger);
        var settings = merchant.PolicySettings;
        var features = session.Features(now, merchant.ValueModel.DefaultMarginRate);
        var score = merchant.Scorer.Evaluate(features);

        // The arm is a pure function of (merchant, session): every retry and every instance puts the session on the same
        // side, and both sides are decided alike; only what happens to a decision to offer differs.
        var arm = HoldoutAssignment.Assign(merchant.Id, session.SessionId, merchant.ExperimentSettings.HoldoutShare);

        // First ask with the counters the session already knows and the shared ones assumed free: most events stop
        // here, and a "no" then costs no extra round trip.
        var sessionOnly = new OfferCounters(0, session.OffersProposed, 0, session.OffersDismissed, session.LastOfferAt, AvailableAgents: 1);
        var decision = OfferPolicy.Decide(score, features, settings, sessionOnly, now, session.OrderCompleted);
        Reservation? reservation = null;

        if (decision.Propose)
        {
            var day = merchant.LocalDate(now);
            var merchantKey = TableOfferCounters.MerchantDayKey(day);
            var shopperKey = session.ShopperId is null ? null : TableOfferCounters.ShopperDayKey(session.ShopperId, day);
            var available = agents.CountAvailableAsync(merchant.Id, fresh: false, cancellationToken);
            var today = counters.ReadAsync(merchant.Id, merchantKey, cancellationToken);
            var shopperToday = shopperKey is null ? Task.FromResult(0) : counters.ReadAsync(merchant.Id, shopperKey, cancellationToken);
            var spentToday = settings.DailySpendBudget is null ? Task.FromResult(0m) : spend.ReadAsync(merchant.Id, day, cancellationToken);
            await Task.WhenAll(available, today, shopperToday, spentToday).ConfigureAwait(false);

            var full = sessionOnly with
            {
                OffersToday = today.Result, OffersToShopperToday = shopperToday.Result, AvailableAgents = available.Result, SpentToday = spentToday.Result,
            };
            decision = OfferPolicy.Decide(score, features, settings, full, now, session.OrderCompleted);
            if (decision.Propose)
            {
                // A control decision takes its place in the budget and the caps like a shown one, so the policy sees the
                // same state in both arms (Experiments/README.md).
                reservation = await ReserveAsync(merchant, merchantKey, shopperKey, cancellationToken).ConfigureAwait(false);
                if (reservation is null)
                {
                    decision = decision with
                    {
                        Propose = false,
                        Reasons = [new DecisionReason(DecisionReasonCode.DailyBudgetExhausted, "Another session took the last offer of today's budget (merchant or shopper cap).")],
                    };
                }
            }
        }

        OfferProposed? offer = null;
        string? offerId = null;
        var entered = false;
        if (decision.Propose)
        {
            entered = session.OffersProposed == 0;
            session.RecordOfferProposed(now);
            if (arm == ExperimentArm.Treatment)
            {
                offerId = OfferIds.For(merchant.Id, session.SessionId, cause);
                offer = new OfferProposed(
                    offerId, merchant.Id, session.SessionId, session.ShopperId, now, now + options.Value.OfferLifetime, score.Value, score.State,
                    score.TopReasons.Select(r => r.Description).ToList(), features.CartValue, merchant.Currency, decision.ExpectedValue);
            }
        }

        span.Ids(offerId: offerId);
        span?.SetTag("cartcall.propose", decision.Propose);
        span?.SetTag("cartcall.arm", arm == ExperimentArm.Control ? "control" : "treatment");
        span?.SetTag("cartcall.score", score.Value);
        var stored = new StoredDecision(
            merchant.Id, session.SessionId, now, trigger, cause, decision.Propose, score.Value, score.State, decision.ExpectedValue,
            decision.Reasons.Select(StoredReason.From).ToList(),
            score.TopReasons.Select(r => new StoredScoreReason(r.Feature, r.Contribution, r.Description)).ToList(),
            offerId,
            arm,
            merchant.WeightsVersion,
            features,
            merchant.ShadowScorer?.Evaluate(features).Value,
            merchant.ShadowWeightsVersion);
        return new Decided(stored, reservation, offer, entered);
    }

    private async Task<Reservation?> ReserveAsync(Merchant merchant, string merchantKey, string? shopperKey, CancellationToken cancellationToken)
    {
        if (!await counters.TryIncrementAsync(merchant.Id, merchantKey, merchant.DailyOfferBudget, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        bool shopperTaken;
        try
        {
            shopperTaken = shopperKey is null
                || await counters.TryIncrementAsync(merchant.Id, shopperKey, merchant.FrequencyCaps.MaxOffersPerShopperPerDay, cancellationToken).ConfigureAwait(false);
        }
        catch (ConcurrencyConflictException)
        {
            // The shopper's counter stayed contended: the merchant's place is given back before the conflict goes up.
            await counters.DecrementAsync(merchant.Id, merchantKey, cancellationToken).ConfigureAwait(false);
            throw;
        }

        if (!shopperTaken)
        {
            await counters.DecrementAsync(merchant.Id, merchantKey, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return new Reservation(merchantKey, shopperKey);
    }

    private async Task ReleaseAsync(string merchantId, Reservation reservation, CancellationToken cancellationToken)
    {
        await counters.DecrementAsync(merchantId, reservation.MerchantDayKey, cancellationToken).ConfigureAwait(false);
        if (reservation.ShopperDayKey is not null)
        {
            await counters.DecrementAsync(merchantId, reservation.ShopperDayKey, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offer {OfferId} proposed for session {MerchantId}/{SessionId} at score {Score:F2}")]
    private partial void LogOfferProposed(string merchantId, string sessionId, string offerId, double score);
}
