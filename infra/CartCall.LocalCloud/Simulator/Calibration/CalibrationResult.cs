using System.Globalization;
using System.Text;
using CartCall.Domain.Experiments;

namespace CartCall.LocalCloud.Simulator.Calibration;

/// <summary>The figures of one calibration run (definitions in Scoring/README.md, "Calibration").</summary>
/// <param name="Decisions">Times the policy was asked (on events and idle checks).</param>
/// <param name="Offers">Sessions with an offer decision, both arms.</param>
/// <param name="ShareOfAbandonedCartsOffered">Abandoned carts that got an offer decision, over all abandoned carts.</param>
/// <param name="Precision">Offered sessions that would have been abandoned, over offered sessions.</param>
/// <param name="SeenShare">Offers that reached a shopper still on the page.</param>
/// <param name="PositiveEvShare">Offers whose expected value under the model's own probabilities (knowing the shopper's
/// hidden situation) is positive.</param>
/// <param name="ExpectedRecoveredMarginPer1000">Margin the offers save, in expectation, per 1,000 sessions, as if every
/// offer were shown (no holdout).</param>
/// <param name="ExpectedCallCostPer1000">What the calls those offers cause cost, per 1,000 sessions.</param>
/// <param name="ExpectedLostMarginPer1000">Margin lost, in expectation, from buyers put off by an offer (model assumption).</param>
/// <param name="ExpectedNetMarginPer1000">Recovered margin less call cost and lost margin.</param>
/// <param name="MeanSecondsToOffer">From the visit's first event to the offer, on average.</param>
/// <param name="RealisedRecoveryRate">Expected saved margin over the margin of offered would-be-abandoned carts: what
/// <c>ValueModel.ExpectedRecoveryRate</c> stands for, measured on this run's offers.</param>
/// <param name="RealisedAcceptanceRate">Expected calls per offer: what <c>ValueModel.ExpectedAcceptanceRate</c> stands for.</param>
/// <param name="Uplift">The experiment as the merchant would measure it: sampled outcomes, treatment against control.</param>
public sealed record CalibrationResult(
    string Policy,
    int Seed,
    int Visits,
    int Carts,
    int AbandonedCarts,
    int Checkouts,
    int Completed,
    int Decisions,
    int Offers,
    double OffersPer1000Sessions,
    double ShareOfAbandonedCartsOffered,
    double Precision,
    double SeenShare,
    double PositiveEvShare,
    double ExpectedRecoveredMarginPer1000,
    double ExpectedCallCostPer1000,
    double ExpectedLostMarginPer1000,
    double ExpectedNetMarginPer1000,
    double MeanSecondsToOffer,
    double RealisedRecoveryRate,
    double RealisedAcceptanceRate,
    UpliftReport Uplift,
    IReadOnlyDictionary<string, int> OffersBySituation,
    IReadOnlyDictionary<string, int> AbandonedBySituation)
{
    /// <summary>Cart abandonment in this run (abandoned carts over carts): the model's headline figure, about 70%.</summary>
    public double CartAbandonment => Carts > 0 ? (double)AbandonedCarts / Carts : 0;

    /// <summary>Markdown rows comparing runs, as the scoring README shows them.</summary>
    public static string Table(params CalibrationResult[] runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("| Figure |");
        foreach (var r in runs)
        {
            sb.Append(inv, $" {r.Policy} |");
        }

        sb.AppendLine().Append("|---|");
        foreach (var _ in runs)
        {
            sb.Append("---|");
        }

        sb.AppendLine();
        void Row(string name, Func<CalibrationResult, string> cell)
        {
            sb.Append(inv, $"| {name} |");
            foreach (var r in runs)
            {
                sb.Append(inv, $" {cell(r)} |");
            }

            sb.AppendLine();
        }

        Row("Visits (carts, abandoned carts)", r => string.Create(inv, $"{r.Visits:N0} ({r.Carts:N0}, {r.AbandonedCarts:N0})"));
        Row("Offers per 1,000 sessions", r => r.OffersPer1000Sessions.ToString("0.0", inv));
        Row("Share of abandoned carts offered", r => r.ShareOfAbandonedCartsOffered.ToString("P1", inv));
        Row("Offer precision (offered sessions that would have been abandoned)", r => r.Precision.ToString("P1", inv));
        Row("Offers seen (shopper still on the page)", r => r.SeenShare.ToString("P1", inv));
        Row("Offers with positive expected value (model truth)", r => r.PositiveEvShare.ToString("P1", inv));
        Row("Expected recovered margin per 1,000 sessions", r => r.ExpectedRecoveredMarginPer1000.ToString("0.00", inv));
        Row("Expected call cost per 1,000 sessions", r => r.ExpectedCallCostPer1000.ToString("0.00", inv));
        Row("Expected margin lost to put-off buyers per 1,000 sessions", r => r.ExpectedLostMarginPer1000.ToString("0.00", inv));
        Row("**Expected net margin per 1,000 sessions**", r => "**" + r.ExpectedNetMarginPer1000.ToString("0.00", inv) + "**");
        Row("Recovery per offered would-be-abandoned cart (margin-weighted)", r => r.RealisedRecoveryRate.ToString("P1", inv));
        Row("Calls per offer (expected)", r => r.RealisedAcceptanceRate.ToString("P1", inv));
        Row("Mean time from first event to offer", r => r.MeanSecondsToOffer.ToString("0 's'", inv));
        Row("Experiment sessions treatment / control", r => string.Create(inv, $"{r.Uplift.Treatment.Sessions:N0} / {r.Uplift.Control.Sessions:N0}"));
        Row("Conversion treatment / control", r => string.Create(inv, $"{r.Uplift.Treatment.Conversion.Value:P1} / {r.Uplift.Control.Conversion.Value:P1}"));
        Row("Uplift in conversion (95% CI, Newcombe)", r => Points(r.Uplift.ConversionDifference, inv));
        Row("Incremental margin (95% CI, normal approx.)", r => Money(r.Uplift.IncrementalMargin, inv));
        Row("Acceptance rate (accepted / shown)", r => r.Uplift.AcceptanceRate is { } a ? a.ToString("P1", inv) : "–");
        Row("Calls, call cost", r => string.Create(inv, $"{r.Uplift.Calls:N0}, {r.Uplift.CallCost:0.00}"));
        Row("Return on call cost", r => r.Uplift.ReturnOnCallCost is { } x ? x.ToString("0.0", inv) : "–");
        return sb.ToString();
    }

    private static string Points(Estimate e, CultureInfo inv) =>
        string.Create(inv, $"{e.Value * 100:+0.0;-0.0} pp [{e.Lower * 100:+0.0;-0.0}, {e.Upper * 100:+0.0;-0.0}]");

    private static string Money(Estimate e, CultureInfo inv) =>
        double.IsFinite(e.Lower)
            ? string.Create(inv, $"{e.Value:0} [{e.Lower:0}, {e.Upper:0}]")
            : string.Create(inv, $"{e.Value:0} [–]");
}
