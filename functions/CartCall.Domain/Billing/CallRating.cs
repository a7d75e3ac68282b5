using CartCall.Domain.Preferences;

namespace CartCall.Domain.Billing;

/// <summary>
/// What billing needs to know about one ended call. <paramref name="StartedAt"/> (connect time, else creation) picks
/// the plan and the statement month; <paramref name="ConnectedSeconds"/> is talk time, 0 when never connected.
/// </summary>
public sealed record CallUsage(
    string CallId,
    string MerchantId,
    CallMode Mode,
    string? DestinationRegion,
    DateTimeOffset StartedAt,
    bool Connected,
    int ConnectedSeconds)
{
    /// <summary>A call longer than a day is a stuck call, not a conversation; refuse to bill it.</summary>
    public const int MaxSeconds = 24 * 3600;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(CallId))
        {
            problems.Add("callId is required.");
        }

        if (string.IsNullOrWhiteSpace(MerchantId))
        {
            problems.Add("merchantId is required.");
        }

        if (!Enum.IsDefined(Mode))
        {
            problems.Add("mode must be browser or phone.");
        }

        if (ConnectedSeconds is < 0 or > MaxSeconds)
        {
            problems.Add($"connectedSeconds must be between 0 and {MaxSeconds}.");
        }

        if (!Connected && ConnectedSeconds > 0)
        {
            problems.Add("a call that never connected cannot have connected seconds.");
        }

        return problems;
    }
}

/// <summary>The price of one call under a plan, before the month's included minutes are applied.</summary>
/// <param name="BillableSeconds">Seconds after rounding (a started minute counts 60).</param>
/// <param name="UsageMinor">The per-minute part.</param>
public sealed record CallRating(
    string CallId,
    string PlanId,
    Currency Currency,
    RateRule Rule,
    int BillableSeconds,
    long PerCallMinor,
    long UsageMinor)
{
    public long TotalMinor => checked(PerCallMinor + UsageMinor);

    public Money Total => new(TotalMinor, Currency);
}

/// <summary>Prices calls. Pure: the same call and plan always give the same rating.</summary>
public static class CallRater
{
    /// <summary>
    /// Rates one call. A call that never connected costs nothing (the merchant pays for conversations, not attempts).
    /// </summary>
    public static CallRating Rate(MerchantPlan plan, CallUsage call)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(call);
        var rule = plan.RateFor(call.Mode, call.DestinationRegion);
        var currency = plan.CurrencyInfo;
        if (!call.Connected || call.ConnectedSeconds <= 0)
        {
            return new CallRating(call.CallId, plan.Id, currency, rule, 0, 0, 0);
        }

        var billable = BillableSeconds(plan.Rounding, call.ConnectedSeconds);
        return new CallRating(call.CallId, plan.Id, currency, rule, billable, rule.PerCallMinor,
            PerMinuteCharge(rule.PerMinuteMinor, billable));
    }

    public static int BillableSeconds(Rounding rounding, int seconds) => rounding switch
    {
        _ when seconds <= 0 => 0,
        Rounding.PerSecond => seconds,
        Rounding.PerStartedMinute => checked((seconds + 59) / 60 * 60),
        _ => throw new ArgumentOutOfRangeException(nameof(rounding)),
    };

    /// <summary><paramref name="ratePerMinute"/> × seconds / 60, rounded half away from zero to the minor unit.</summary>
    public static long PerMinuteCharge(long ratePerMinute, int seconds)
    {
        if (ratePerMinute <= 0 || seconds <= 0)
        {
            return 0;
        }

        var product = checked(ratePerMinute * seconds);
        return (product + 30) / 60;
    }
}

/// <summary>What a minute of a call costs the platform (e.g. ACS PSTN minutes), by mode and destination region.</summary>
public sealed record TelephonyTariff(string Currency, IReadOnlyList<RateRule> Rates)
{
    /// <summary>Costs nothing: for local runs and for merchants whose telephony is billed elsewhere.</summary>
    public static TelephonyTariff Free(string currency) => new(currency, [new RateRule(null, null, 0, 0)]);

    public IReadOnlyList<string> Validate()
    {
        // The same rules as a plan's rates (the provider bills per started minute, so rounding is fixed).
        var asPlan = new MerchantPlan("tariff", Currency, 0, 0, Rounding.PerStartedMinute, Rates);
        return asPlan.Validate().Select(p => "telephony tariff: " + p).ToList();
    }

    /// <summary>The platform's cost of a call: per-call plus per started minute of talk time.</summary>
    public Money CostOf(CallUsage call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var asPlan = new MerchantPlan("tariff", Currency, 0, 0, Rounding.PerStartedMinute, Rates);
        var rating = CallRater.Rate(asPlan, call);
        return rating.Total;
    }
}

/// <summary>How a month's included minutes are spent: on calls in order of start, then call id (so replays and arrival order do not matter).</summary>
public static class IncludedMinutes
{
    /// <summary>The credit each call gets, by call id; the sum is what the month's allowance is worth.</summary>
    public static IReadOnlyDictionary<string, long> Allocate(
        int includedMinutes, IEnumerable<(string CallId, DateTimeOffset StartedAt, int BillableSeconds, long PerMinuteMinor, long UsageMinor)> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var left = checked((long)includedMinutes * 60);
        var credits = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var call in calls.OrderBy(c => c.StartedAt).ThenBy(c => c.CallId, StringComparer.Ordinal))
        {
            if (left <= 0)
            {
                break;
            }

            var covered = (int)Math.Min(left, call.BillableSeconds);
            if (covered <= 0)
            {
                continue;
            }

            left -= covered;
            // Never credit more than the call's own per-minute charge (rounding could otherwise overshoot by a unit).
            var credit = Math.Min(call.UsageMinor, CallRater.PerMinuteCharge(call.PerMinuteMinor, covered));
            if (credit > 0)
            {
                credits[call.CallId] = credit;
            }
        }

        return credits;
    }
}
