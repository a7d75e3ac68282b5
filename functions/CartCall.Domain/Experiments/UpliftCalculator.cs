namespace CartCall.Domain.Experiments;

/// <summary>Computes <see cref="UpliftReport"/>s from experiment sessions. Pure; the app loads the sessions.</summary>
public static class UpliftCalculator
{
    /// <summary>Below this many sessions in an arm the report is marked insufficient.</summary>
    public const int MinSessionsPerArm = 30;

    /// <summary>
    /// The report for sessions decided in [<paramref name="from"/>, <paramref name="to"/>), with orders attributed
    /// within the settings' window and counted up to <paramref name="asOf"/>.
    /// </summary>
    public static UpliftReport Compute(
        IEnumerable<ExperimentSession> sessions,
        DateTimeOffset from,
        DateTimeOffset to,
        DateTimeOffset asOf,
        ExperimentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(settings);
        if (to < from)
        {
            throw new ArgumentException("The period ends before it starts.", nameof(to));
        }

        var treatment = new ArmTally();
        var control = new ArmTally();
        int offers = 0, withheld = 0, shown = 0, accepted = 0, connected = 0, converted = 0, maturing = 0;
        var callCost = 0m;

        foreach (var s in sessions)
        {
            if (s is null || s.DecidedAt < from || s.DecidedAt >= to)
            {
                continue;
            }

            // An order seen only after asOf has not happened yet as far as this report knows.
            var orderAt = s.OrderCompletedAt is { } at && at <= asOf ? at : (DateTimeOffset?)null;
            var attributed = Attribution.IsAttributed(s.DecidedAt, orderAt, settings.AttributionWindow);
            if (!attributed && s.DecidedAt + settings.AttributionWindow > asOf)
            {
                maturing++;
            }

            offers++;
            if (s.Arm == ExperimentArm.Control)
            {
                withheld++;
                control.Add(attributed, s.OrderValue, s.OrderMargin);
                continue;
            }

            treatment.Add(attributed, s.OrderValue, s.OrderMargin);
            callCost += s.CallCost;
            if (s.Shown)
            {
                shown++;
                if (s.Accepted)
                {
                    accepted++;
                    if (s.Connected)
                    {
                        connected++;
                        if (attributed)
                        {
                            converted++;
                        }
                    }
                }
            }
        }

        var t = treatment.Summary();
        var c = control.Summary();
        var difference = Intervals.NewcombeDifference(t.Conversions, t.Sessions, c.Conversions, c.Sessions);
        var nT = t.Sessions;
        var incrementalMargin = Intervals.MeanDifference(treatment.MarginMoments, control.MarginMoments).Scale(nT);
        var incrementalRevenue = Intervals.MeanDifference(treatment.RevenueMoments, control.RevenueMoments).Scale(nT);

        return new UpliftReport(
            from,
            to,
            asOf,
            t,
            c,
            difference,
            difference.Scale(nT),
            incrementalRevenue,
            incrementalMargin,
            incrementalMargin.Shift(-(double)callCost),
            new OfferFunnel(offers, withheld, shown, accepted, connected, converted),
            shown > 0 ? (double)accepted / shown : null,
            connected,
            callCost,
            callCost > 0 ? incrementalMargin.Value / (double)callCost : null,
            maturing,
            t.Sessions >= MinSessionsPerArm && c.Sessions >= MinSessionsPerArm);
    }

    /// <summary>One report per period (for plots of uplift over time), each computed as <see cref="Compute"/> does.</summary>
    public static IReadOnlyList<UpliftReport> Series(
        IReadOnlyCollection<ExperimentSession> sessions,
        IEnumerable<(DateTimeOffset From, DateTimeOffset To)> periods,
        DateTimeOffset asOf,
        ExperimentSettings settings)
    {
        ArgumentNullException.ThrowIfNull(periods);
        return [.. periods.Select(p => Compute(sessions, p.From, p.To, asOf, settings))];
    }

    private sealed class ArmTally
    {
        private int sessions;
        private int conversions;
        private decimal revenue;
        private decimal margin;

        public SampleMoments RevenueMoments;
        public SampleMoments MarginMoments;

        public void Add(bool attributed, decimal orderValue, decimal orderMargin)
        {
            sessions++;
            var value = attributed ? orderValue : 0m;
            var m = attributed ? orderMargin : 0m;
            if (attributed)
            {
                conversions++;
            }

            revenue += value;
            margin += m;
            RevenueMoments.Add((double)value);
            MarginMoments.Add((double)m);
        }

        public ArmSummary Summary() => new(
            sessions,
            conversions,
            Intervals.Wilson(conversions, sessions),
            revenue,
            margin,
            sessions > 0 ? (double)revenue / sessions : 0,
            sessions > 0 ? (double)margin / sessions : 0);
    }
}
