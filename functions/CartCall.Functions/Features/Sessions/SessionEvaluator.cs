using CartCall.Functions.Adapters.EventGrid;
using System.Diagnostics;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Domain.Carts;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Sessions;

/// <summary>What became of one cart event.</summary>
public enum IngestOutcome
{
    Decided,
    Duplicate,
}

public sealed record IngestResult(IngestOutcome Outcome, StoredDecision? Decision);

/// <summary>
/// Applies an event (or the passing of time) to a session, scores it, asks the offer policy, and stores the
/// session and the decision together. The store round trips are the floor this path is measured against: one
/// read and one transaction per event; the counters are read only when everything else already says yes.
/// </summary>
public sealed partial class SessionEvaluator(
    ISessionStore sessions,
    TableOfferCounters counters,
    TableAgentStore agents,
    EventGridPublisher publisher,
    OfferOutbox outbox,
    ReevaluationQueue reevaluation,
    OptimisticConcurrency concurrency,
    IOptions<CartSessionOptions> options,
    TimeProvider time,
    ILogger<SessionEvaluator> logger)
{
    public async Task<IngestResult> IngestAsync(Merchant merchant, CartEvent cartEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cartEvent);
        using var span = Telemetry.Start(Telemetry.Spans.CartEventIngest).Ids(merchant?.Id, cartEvent.SessionId);
        span?.SetTag("cartcall.event_id", cartEvent.EventId);
        span?.SetTag("cartcall.event_type", CartEventTypes.ToWire(cartEvent.Type));
        try
        {
            var result = await EvaluateAsync(merchant!, cartEvent.SessionId, cartEvent, cancellationToken).ConfigureAwait(false);
            span?.SetTag("cartcall.duplicate", result.Outcome == IngestOutcome.Duplicate);
            return result;
        }
        catch (Exception e)
        {
            span.Failed(e);
            throw;
        }
    }

    /// <summary>Scores a session again because time has passed; reschedules itself while the session is active.</summary>
    public Task<IngestResult> ReevaluateAsync(Merchant merchant, string sessionId, CancellationToken cancellationToken) =>
        EvaluateAsync(merchant, sessionId, null, cancellationToken);

    private async Task<IngestResult> EvaluateAsync(Merchant merchant, string sessionId, CartEvent? cartEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);

        // A burst of events for one session contends on its ETag: the concurrency policy retries with jitter, and a
        // session that stays contended surfaces as an exhausted conflict (503 with Retry-After).
        var (result, schedule, offer) = await concurrency.ExecuteAsync<(IngestResult, TimeSpan, OfferProposed?)>(
            $"Session {merchant.Id}/{sessionId}", ct => EvaluateOnceAsync(merchant, sessionId, cartEvent, ct), cancellationToken).ConfigureAwait(false);

        if (schedule > TimeSpan.Zero)
        {
            await reevaluation.ScheduleAsync(new ReevaluationRequest(merchant.Id, sessionId), schedule, cancellationToken).ConfigureAwait(false);
        }

        if (offer is not null)
        {
            await PublishAsync(offer, cancellationToken).ConfigureAwait(false);
            LogOfferProposed(merchant.Id, sessionId, offer.OfferId, offer.Score);
        }

        return result;
    }

    /// <summary>One read-decide-save; throws <see cref="SessionConflictException"/> when another writer got there first.</summary>
    private async ValueTask<(IngestResult Result, TimeSpan Schedule, OfferProposed? Offer)> EvaluateOnceAsync(
        Merchant merchant, string sessionId, CartEvent? cartEvent, CancellationToken cancellationToken)
    {
        var delay = options.Value.IdleReevaluationDelay;
        var loaded = await sessions.GetAsync(merchant.Id, sessionId, cancellationToken).ConfigureAwait(false);
        if (loaded is null && cartEvent is null)
        {
            return (new IngestResult(IngestOutcome.Duplicate, null), TimeSpan.Zero, null);
        }

        loaded ??= new LoadedSession(CartSession.Start(merchant.Id, sessionId), null, null);
        var session = loaded.Session;
        var now = time.GetUtcNow();
        DateTimeOffset? reevaluateAt = loaded.ReevaluateAt;
        var schedule = TimeSpan.Zero;

        if (cartEvent is not null)
        {
            if (!session.Apply(cartEvent))
            {
                return (new IngestResult(IngestOutcome.Duplicate, null), TimeSpan.Zero, null);
            }

            // One pending re-evaluation per session is enough: when it fires it looks at the latest event.
            if (!session.OrderCompleted && (reevaluateAt is null || reevaluateAt <= now))
            {
                schedule = delay;
                reevaluateAt = now + delay;
            }
        }
        else
        {
            var due = session.LastEventAt + delay;
            if (session.OrderCompleted)
            {
                reevaluateAt = null;
            }
            else if (due > now + TimeSpan.FromSeconds(1))
            {
                // Newer activity since this was scheduled: wait out the rest of the idle period.
                schedule = due - now;
                reevaluateAt = due;
            }
            else
            {
                reevaluateAt = null;
            }
        }

        StoredDecision? stored = null;
        Reservation? reservation = null;
        OfferProposed? offer = null;
        if (schedule == TimeSpan.Zero || cartEvent is not null)
        {
            var trigger = cartEvent is null ? "idle" : CartEventTypes.ToWire(cartEvent.Type);
            var cause = cartEvent?.EventId ?? $"idle@{session.LastEventAt.ToUnixTimeMilliseconds()}";
            (stored, reservation, offer) = await DecideAsync(merchant, session, trigger, cause, now, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await sessions.SaveAsync(loaded, stored, reevaluateAt, cancellationToken).ConfigureAwait(false);
        }
        catch (SessionConflictException)
        {
            // The decision was made on a stale session: give back what it reserved before the next attempt decides again.
            if (reservation is not null)
            {
                await ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
            }

            throw;
        }

        return (new IngestResult(IngestOutcome.Decided, stored), schedule, offer);
    }

    // The decision is stored; from here the offer must reach Event Grid one way or another.
    private async Task PublishAsync(OfferProposed offer, CancellationToken cancellationToken)
    {
        // The Event Grid client stamps this span's context on the CloudEvent (traceparent), so delivery joins the trace.
        using var span = Telemetry.Start(Telemetry.Spans.OfferPublish, ActivityKind.Producer).Ids(offer.MerchantId, offer.SessionId, offer.OfferId);
        try
        {
            await publisher.PublishAsync(offer.ToCloudEvent(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (DependencyFailures.IsTransient(e, cancellationToken))
        {
            span.Failed(e);
            LogPublishDeferred(e, offer.OfferId);
            await outbox.EnqueueAsync(offer, Telemetry.CurrentTraceParent(), cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Reservation(string MerchantDayKey, string? ShopperDayKey);

    private async Task<(StoredDecision Stored, Reservation? Reservation, OfferProposed? Offer)> DecideAsync(
        Merchant merchant, CartSession session, string trigger, string cause, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var span = Telemetry.Start(Telemetry.Spans.Decision).Ids(merchant.Id, session.SessionId);
        span?.SetTag("cartcall.trigger", trigger);
        var settings = merchant.PolicySettings;
        var features = session.Features(now, merchant.ValueModel.DefaultMarginRate);
        var score = merchant.Scorer.Evaluate(features);

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
            await Task.WhenAll(available, today, shopperToday).ConfigureAwait(false);

            var full = sessionOnly with { OffersToday = today.Result, OffersToShopperToday = shopperToday.Result, AvailableAgents = available.Result };
            decision = OfferPolicy.Decide(score, features, settings, full, now, session.OrderCompleted);
            if (decision.Propose)
            {
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
        if (decision.Propose)
        {
            offerId = OfferIds.For(merchant.Id, session.SessionId, cause);
            session.RecordOfferProposed(now);
            var cart = features.CartValue;
            offer = new OfferProposed(
                offerId, merchant.Id, session.SessionId, session.ShopperId, now, now + options.Value.OfferLifetime, score.Value, score.State,
                score.TopReasons.Select(r => r.Description).ToList(), cart, merchant.Currency, decision.ExpectedValue);
        }

        span.Ids(offerId: offerId);
        span?.SetTag("cartcall.propose", decision.Propose);
        span?.SetTag("cartcall.score", score.Value);
        var stored = new StoredDecision(
            merchant.Id, session.SessionId, now, trigger, cause, decision.Propose, score.Value, score.State, decision.ExpectedValue,
            decision.Reasons.Select(StoredReason.From).ToList(),
            score.TopReasons.Select(r => new StoredScoreReason(r.Feature, r.Contribution, r.Description)).ToList(),
            offerId);
        return (stored, reservation, offer);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing offer {OfferId} failed; it goes through the outbox")]
    private partial void LogPublishDeferred(Exception e, string offerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offer {OfferId} proposed for session {MerchantId}/{SessionId} at score {Score:F2}")]
    private partial void LogOfferProposed(string merchantId, string sessionId, string offerId, double score);
}
