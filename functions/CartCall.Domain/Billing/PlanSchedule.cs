namespace CartCall.Domain.Billing;

/// <summary>A plan and the first local day (merchant's time zone) on which it applies.</summary>
public sealed record PlanAssignment(DateOnly EffectiveFrom, MerchantPlan Plan);

/// <summary>
/// Which plan a merchant is on, day by day. A change takes effect from the next day in the merchant's time zone, so a
/// day is always billed under one plan and a merchant cannot switch plans in the middle of a busy afternoon.
/// </summary>
public sealed class PlanSchedule
{
    private readonly List<PlanAssignment> assignments;

    private PlanSchedule(string timeZoneId, List<PlanAssignment> assignments)
    {
        TimeZoneId = timeZoneId;
        this.assignments = assignments;
    }

    public string TimeZoneId { get; }

    /// <summary>Oldest first; the first applies from <see cref="DateOnly.MinValue"/>.</summary>
    public IReadOnlyList<PlanAssignment> Assignments => assignments;

    /// <summary>A merchant's first plan, in force at once (there is nothing to change from).</summary>
    public static PlanSchedule Start(MerchantPlan plan, string timeZoneId)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _ = Preferences.TimeZones.Find(timeZoneId);
        return new PlanSchedule(timeZoneId, [new PlanAssignment(DateOnly.MinValue, plan)]);
    }

    /// <summary>Rebuilds a stored schedule (assignments in any order).</summary>
    public static PlanSchedule FromAssignments(string timeZoneId, IEnumerable<PlanAssignment> stored)
    {
        _ = Preferences.TimeZones.Find(timeZoneId);
        var list = stored.OrderBy(a => a.EffectiveFrom).ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("A schedule needs at least one plan.", nameof(stored));
        }

        return new PlanSchedule(timeZoneId, list);
    }

    /// <summary>The first local day a change requested at <paramref name="requestedAt"/> applies: tomorrow, merchant time.</summary>
    public static DateOnly EffectiveDateOfChange(DateTimeOffset requestedAt, string timeZoneId) =>
        LocalDate(requestedAt, timeZoneId).AddDays(1);

    public static DateOnly LocalDate(DateTimeOffset at, string timeZoneId) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Preferences.TimeZones.Find(timeZoneId)).DateTime);

    /// <summary>Problems with moving to <paramref name="plan"/>: the plan's own, and a currency change (one ledger currency per merchant).</summary>
    public IReadOnlyList<string> ValidateChange(MerchantPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var problems = plan.Validate().ToList();
        var current = assignments[^1].Plan.Currency;
        if (problems.Count == 0 && !string.Equals(plan.Currency, current, StringComparison.Ordinal))
        {
            problems.Add($"currency {plan.Currency} differs from the merchant's billing currency {current}; a plan change keeps the currency.");
        }

        return problems;
    }

    /// <summary>
    /// The schedule after a change requested at <paramref name="requestedAt"/>: the new plan from tomorrow on, replacing
    /// any change that was pending for tomorrow or later (the latest request wins).
    /// </summary>
    public PlanSchedule WithChange(MerchantPlan plan, DateTimeOffset requestedAt)
    {
        var problems = ValidateChange(plan);
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(plan));
        }

        var from = EffectiveDateOfChange(requestedAt, TimeZoneId);
        var kept = assignments.Where(a => a.EffectiveFrom < from).ToList();
        kept.Add(new PlanAssignment(from, plan));
        return new PlanSchedule(TimeZoneId, kept);
    }

    /// <summary>The plan in force on a local day.</summary>
    public MerchantPlan PlanOn(DateOnly localDate)
    {
        var plan = assignments[0].Plan;
        foreach (var a in assignments)
        {
            if (a.EffectiveFrom <= localDate)
            {
                plan = a.Plan;
            }
        }

        return plan;
    }

    /// <summary>The plan in force at an instant, judged by the merchant's local date.</summary>
    public MerchantPlan PlanAt(DateTimeOffset at) => PlanOn(LocalDate(at, TimeZoneId));
}
