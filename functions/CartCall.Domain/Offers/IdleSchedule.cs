using System.Globalization;
using CartCall.Domain.Carts;

namespace CartCall.Domain.Offers;

/// <summary>Why idle re-scoring of a session has stopped.</summary>
public enum IdleStopReason
{
    /// <summary>The order went through: nothing left to save.</summary>
    OrderCompleted,

    /// <summary>An offer was made (shown, or recorded for the holdout): the shopper is not pestered further while idle.</summary>
    OfferMade,

    /// <summary>Only a shopper in checkout can abandon a checkout; idle browsing is not re-scored.</summary>
    NotInCheckout,

    /// <summary>The session is older than <see cref="IdleSchedule.SessionLifetime"/>.</summary>
    Expired,

    /// <summary>The silence is longer than <see cref="IdleSchedule.StopAfter"/>: the shopper has most likely left the tab.</summary>
    LimitReached,
}

/// <summary>What the idle schedule says about a session: score it again after <see cref="Delay"/>, or stop.</summary>
/// <param name="Delay">From now until the next check is due (zero or more); meaningless when <see cref="Stop"/>.</param>
/// <param name="IdleAt">The silence (time since the last event) at which the next check is due.</param>
public readonly record struct IdleCheck(bool Stop, IdleStopReason? Reason, TimeSpan Delay, TimeSpan IdleAt)
{
    public static IdleCheck Stopped(IdleStopReason reason) => new(true, reason, TimeSpan.Zero, TimeSpan.Zero);

    public static IdleCheck Due(TimeSpan delay, TimeSpan idleAt) => new(false, null, delay, idleAt);
}

/// <summary>What to do when a scheduled idle check fires (see <see cref="IdleSchedule.PlanCheck"/>).</summary>
/// <param name="ScoreNow">The check is due and the session may still be offered: score and decide now.</param>
/// <param name="CauseId">A stable id for this check (last event and mark): a redelivered check decides no twice.</param>
/// <param name="Next">The next check as things stand; after an offer, plan again (the offer stops the schedule).</param>
public sealed record IdlePlan(bool ScoreNow, string? CauseId, IdleCheck Next);

/// <summary>What the schedule needs to know about a session.</summary>
public readonly record struct IdleSessionState(bool InCheckout, bool OrderCompleted, bool OfferMade, bool Expired)
{
    /// <summary>The state of <paramref name="session"/> at <paramref name="now"/>.</summary>
    public static IdleSessionState Of(CartSession session, DateTimeOffset now, IdleSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(schedule);
        return new IdleSessionState(
            InCheckout: session.CheckoutStartedAt is not null,
            OrderCompleted: session.OrderCompleted,
            OfferMade: session.OffersProposed > 0,
            Expired: session.EventCount > 0 && now - session.FirstSeenAt >= schedule.SessionLifetime);
    }
}

/// <summary>
/// When a session that has gone quiet is scored again. Silence is a signal (see <c>idle_seconds</c> in the scoring
/// model), so the checks come early and then thin out: by default at 30 s, 90 s and 3 min of silence, then every
/// 5 min, and never beyond 20 min (the idle feature saturates at 10 min and a tab left that long is most likely
/// closed). A new event starts the count again from zero. Everything stops at an order, at an offer, outside
/// checkout, or when the session has expired. Documented in Scoring/README.md ("Re-scoring while idle").
/// </summary>
/// <remarks>
/// Pure and stateless: the caller gives the silence so far and gets the next check. The caller that fires a check
/// late (queues are polled) or early (clock skew up to <see cref="Tolerance"/>) still lands on the right mark, and a
/// stale check (a newer event arrived since it was scheduled) is recognised by <see cref="IsDue"/> being false.
/// </remarks>
/// <param name="FirstChecks">The first checks, as silence since the last event, strictly increasing.</param>
/// <param name="RepeatEvery">After the first checks, one more every this long; <see cref="TimeSpan.Zero"/> for none.</param>
/// <param name="StopAfter">No check is scheduled for a silence longer than this.</param>
/// <param name="SessionLifetime">A session this old (since its first event) is expired and no longer re-scored.</param>
public sealed record IdleSchedule(
    IReadOnlyList<TimeSpan> FirstChecks,
    TimeSpan RepeatEvery,
    TimeSpan StopAfter,
    TimeSpan SessionLifetime)
{
    /// <summary>A check this close to a mark counts as that mark (timers and queues are not exact).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    /// <summary>The most checks one silence can have; keeps a mis-configured repeat from scheduling forever.</summary>
    public const int MaxChecks = 100;

    /// <summary>30 s, 90 s, 3 min, then every 5 min up to 20 min; sessions expire 4 h after their first event.</summary>
    public static IdleSchedule Default { get; } = new(
        [TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(3)],
        TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(20),
        TimeSpan.FromHours(4));

    /// <summary>A single check <paramref name="after"/> the last event, as the app did before this schedule.</summary>
    public static IdleSchedule Once(TimeSpan after) => new([after], TimeSpan.Zero, after, TimeSpan.FromHours(4));

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (FirstChecks is null || FirstChecks.Count == 0)
        {
            problems.Add("idle.firstChecks needs at least one delay.");
        }
        else
        {
            for (var i = 0; i < FirstChecks.Count; i++)
            {
                if (FirstChecks[i] <= TimeSpan.Zero)
                {
                    problems.Add(Invariant($"idle.firstChecks[{i}] must be positive."));
                }
                else if (i > 0 && FirstChecks[i] <= FirstChecks[i - 1])
                {
                    problems.Add(Invariant($"idle.firstChecks[{i}] must be later than idle.firstChecks[{i - 1}]."));
                }
            }

            if (FirstChecks.Count > MaxChecks)
            {
                problems.Add(Invariant($"idle.firstChecks has more than {MaxChecks} entries."));
            }

            if (FirstChecks.Count > 0 && StopAfter < FirstChecks[0])
            {
                problems.Add("idle.stopAfter must be at least the first check.");
            }
        }

        if (RepeatEvery < TimeSpan.Zero)
        {
            problems.Add("idle.repeatEvery must not be negative.");
        }
        else if (RepeatEvery > TimeSpan.Zero && RepeatEvery < Tolerance + Tolerance)
        {
            problems.Add("idle.repeatEvery must be zero (no repeats) or at least 2 seconds.");
        }

        if (SessionLifetime <= TimeSpan.Zero)
        {
            problems.Add("idle.sessionLifetime must be positive.");
        }

        return problems;
    }

    /// <summary>Every mark of one silence, in order: the first checks, then the repeats, up to <see cref="StopAfter"/>.</summary>
    public IEnumerable<TimeSpan> Marks()
    {
        var count = 0;
        var last = TimeSpan.Zero;
        foreach (var mark in FirstChecks)
        {
            if (mark > StopAfter || ++count > MaxChecks)
            {
                yield break;
            }

            last = mark;
            yield return mark;
        }

        if (RepeatEvery <= TimeSpan.Zero)
        {
            yield break;
        }

        for (var mark = last + RepeatEvery; mark <= StopAfter && ++count <= MaxChecks; mark += RepeatEvery)
        {
            yield return mark;
        }
    }

    /// <summary>
    /// The next check for a session silent for <paramref name="idleFor"/>: the first mark later than the silence (a
    /// mark within <see cref="Tolerance"/> counts as reached), or a stop with its reason.
    /// </summary>
    public IdleCheck Next(IdleSessionState state, TimeSpan idleFor)
    {
        if (state.OrderCompleted)
        {
            return IdleCheck.Stopped(IdleStopReason.OrderCompleted);
        }

        if (state.OfferMade)
        {
            return IdleCheck.Stopped(IdleStopReason.OfferMade);
        }

        if (state.Expired)
        {
            return IdleCheck.Stopped(IdleStopReason.Expired);
        }

        if (!state.InCheckout)
        {
            return IdleCheck.Stopped(IdleStopReason.NotInCheckout);
        }

        var silence = idleFor < TimeSpan.Zero ? TimeSpan.Zero : idleFor;
        foreach (var mark in Marks())
        {
            if (mark > silence + Tolerance)
            {
                return IdleCheck.Due(mark - silence, mark);
            }
        }

        return IdleCheck.Stopped(IdleStopReason.LimitReached);
    }

    /// <summary>
    /// The mark a check at this silence stands for, or null when the silence is short of the first mark (the check
    /// is stale: a newer event has restarted the count, and the caller should only reschedule).
    /// </summary>
    public TimeSpan? MarkAt(TimeSpan idleFor)
    {
        TimeSpan? reached = null;
        foreach (var mark in Marks())
        {
            if (mark > idleFor + Tolerance)
            {
                break;
            }

            reached = mark;
        }

        return reached;
    }

    /// <summary>True when a check at this silence is a scheduled one (see <see cref="MarkAt"/>).</summary>
    public bool IsDue(TimeSpan idleFor) => MarkAt(idleFor) is not null;

    /// <summary>
    /// What a re-evaluation that fires at <paramref name="now"/> should do: score now (when it stands for a mark and the
    /// session can still be offered) with a stable cause id, and when to check next. A stale check (a newer event
    /// restarted the silence) only reschedules.
    /// </summary>
    public IdlePlan PlanCheck(CartSession session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        var idle = now - session.LastEventAt;
        var state = IdleSessionState.Of(session, now, this);
        var next = Next(state, idle);
        var mark = MarkAt(idle);
        var open = state.InCheckout && !state.OrderCompleted && !state.OfferMade && !state.Expired;
        return mark is { } m && open
            ? new IdlePlan(true, CauseId(session.LastEventAt, m), next)
            : new IdlePlan(false, null, next);
    }

    /// <summary>The decision cause of the check at <paramref name="mark"/> of the silence after <paramref name="lastEventAt"/>.</summary>
    public static string CauseId(DateTimeOffset lastEventAt, TimeSpan mark) =>
        string.Create(CultureInfo.InvariantCulture, $"idle@{lastEventAt.ToUnixTimeMilliseconds()}+{(long)mark.TotalSeconds}s");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
