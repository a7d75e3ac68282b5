namespace CartCall.Domain.Experiments;

/// <summary>
/// One session of the experiment: a session for which the policy decided to offer a call (the first such decision).
/// Treatment sessions were shown the offer; control sessions had it recorded and withheld.
/// </summary>
/// <param name="DecidedAt">The first decision to offer: the start of the attribution window.</param>
/// <param name="Shown">The widget showed the offer (treatment only; a control offer is never shown).</param>
/// <param name="Accepted">The shopper accepted the offer.</param>
/// <param name="Connected">The call connected the shopper to an agent.</param>
/// <param name="CallCost">What the calls of this session cost the merchant.</param>
/// <param name="OrderCompletedAt">When the session's order completed, if it did.</param>
/// <param name="OrderValue">The order's value (0 without an order).</param>
/// <param name="OrderMargin">The order's gross margin (0 without an order).</param>
public sealed record ExperimentSession(
    string SessionId,
    ExperimentArm Arm,
    DateTimeOffset DecidedAt,
    bool Shown,
    bool Accepted,
    bool Connected,
    decimal CallCost,
    DateTimeOffset? OrderCompletedAt,
    decimal OrderValue,
    decimal OrderMargin);

/// <summary>One arm's outcome.</summary>
/// <param name="Conversion">Conversion rate with its Wilson 95% interval.</param>
public sealed record ArmSummary(
    int Sessions,
    int Conversions,
    Estimate Conversion,
    decimal Revenue,
    decimal Margin,
    double RevenuePerSession,
    double MarginPerSession);

/// <summary>From decisions to orders, counted in the treatment arm (the control arm is never shown anything).</summary>
/// <param name="Offers">Decisions to offer, both arms.</param>
/// <param name="Withheld">Decisions in the control arm (recorded, not shown).</param>
/// <param name="Converted">Connected treatment sessions whose order is attributed.</param>
public sealed record OfferFunnel(int Offers, int Withheld, int Shown, int Accepted, int Connected, int Converted);

/// <summary>
/// A merchant's measured uplift over a period: treatment against control among sessions the policy chose to offer,
/// with intervals (methods in Experiments/README.md).
/// </summary>
/// <param name="ConversionDifference">p(treatment) − p(control), Newcombe hybrid score 95% interval.</param>
/// <param name="IncrementalConversions">The difference times the treatment's sessions: orders the offers added.</param>
/// <param name="IncrementalRevenue">Revenue per session difference (normal approximation) times the treatment's sessions.</param>
/// <param name="IncrementalMargin">Gross margin per session difference (normal approximation) times the treatment's sessions.</param>
/// <param name="NetIncrementalMargin">Incremental margin minus call cost (the cost is known, so the interval shifts).</param>
/// <param name="AcceptanceRate">Accepted over shown; null when nothing was shown.</param>
/// <param name="Calls">Calls that connected.</param>
/// <param name="ReturnOnCallCost">Incremental margin per unit of call cost; null without call cost.</param>
/// <param name="Maturing">Sessions whose attribution window is still open at <paramref name="AsOf"/>: their orders may yet come.</param>
/// <param name="Sufficient">
/// At least <see cref="UpliftCalculator.MinSessionsPerArm"/> sessions in each arm, so the normal approximations are
/// usable; below that the intervals are shown but should not be read as evidence.
/// </param>
public sealed record UpliftReport(
    DateTimeOffset From,
    DateTimeOffset To,
    DateTimeOffset AsOf,
    ArmSummary Treatment,
    ArmSummary Control,
    Estimate ConversionDifference,
    Estimate IncrementalConversions,
    Estimate IncrementalRevenue,
    Estimate IncrementalMargin,
    Estimate NetIncrementalMargin,
    OfferFunnel Funnel,
    double? AcceptanceRate,
    int Calls,
    decimal CallCost,
    double? ReturnOnCallCost,
    int Maturing,
    bool Sufficient);
