using System.Globalization;
using CartCall.Domain.Experiments;
using CartCall.LocalCloud.Simulator.Calibration;
using Xunit.Abstractions;

namespace CartCall.LocalCloud.Tests.Simulator.Calibration;

public sealed class CalibrationTests(ITestOutputHelper output)
{
    [Fact]
    public void Treatment_BeatsControl_WithAnIntervalExcludingZero()
    {
        // On the model's own numbers only (README: "only as good as the model"). 40,000 visits with half held out
        // give about 6,000 offered sessions per arm; fixed seed, so the run is the same every time.
        var result = CalibrationHarness.Run(CalibrationPolicy.Shipped, new CalibrationOptions(Visits: 40_000, Seed: CalibrationTuning.ReportSeed, HoldoutShare: 0.5));
        var uplift = result.Uplift;

        output.WriteLine(CalibrationResult.Table(result));
        Assert.True(uplift.Sufficient);
        Assert.True(uplift.ConversionDifference.Lower > 0, $"conversion uplift {uplift.ConversionDifference}");
        Assert.True(uplift.IncrementalMargin.Lower > 0, $"incremental margin {uplift.IncrementalMargin}");
        Assert.True(uplift.NetIncrementalMargin.Value > 0);
        Assert.True(uplift.Treatment.Conversion.Value > uplift.Control.Conversion.Value);
    }

    [Fact]
    public void ShippedDefaults_OfferWhereTheOldOnesDidNot_AndEarnMoreNetOfCalls()
    {
        var options = new CalibrationOptions(Visits: 4_000, Seed: 7);

        var before = CalibrationHarness.Run(CalibrationPolicy.Before, options);
        var after = CalibrationHarness.Run(CalibrationPolicy.Shipped, options);

        output.WriteLine(CalibrationResult.Table(before, after));
        Assert.True(after.ShareOfAbandonedCartsOffered > 3 * before.ShareOfAbandonedCartsOffered);
        Assert.True(after.Precision > 0.7, $"precision {after.Precision:P1}");
        Assert.True(after.ExpectedNetMarginPer1000 > 2 * before.ExpectedNetMarginPer1000);
        // Offers only in checkout: never to a not-ready shopper who left before it.
        Assert.True(after.OffersBySituation.GetValueOrDefault("Browser") == 0);
    }

    [Fact]
    public void Run_IsTheSameForTheSameSeed_AndDiffersForAnother()
    {
        string Table(int seed) => CalibrationResult.Table(CalibrationHarness.Run(CalibrationPolicy.Shipped, new CalibrationOptions(Visits: 1_500, Seed: seed, HoldoutShare: 0.2)));

        Assert.Equal(Table(3), Table(3));
        Assert.NotEqual(Table(3), Table(4));
    }

    [Fact]
    public void HoldoutSessions_AreDecidedButNeverShown()
    {
        var result = CalibrationHarness.Run(CalibrationPolicy.Shipped, new CalibrationOptions(Visits: 3_000, Seed: 11, HoldoutShare: 0.3));

        Assert.Equal(result.Offers, result.Uplift.Funnel.Offers);
        Assert.Equal(result.Uplift.Control.Sessions, result.Uplift.Funnel.Withheld);
        Assert.InRange(result.Uplift.Funnel.Withheld / (double)result.Offers, 0.25, 0.35);
        Assert.True(result.Uplift.Funnel.Shown <= result.Uplift.Treatment.Sessions);
    }

    [Fact]
    public void NeverOffer_RecordsEveryDecisionSnapshot_ForTheRefit()
    {
        var sessions = new List<CartCall.Domain.Learning.LabelledSession>();

        var result = CalibrationHarness.Run(CalibrationPolicy.Shipped, new CalibrationOptions(Visits: 1_000, Seed: 12, HoldoutShare: 0, NeverOffer: true), sessions.Add);

        Assert.Equal(0, result.Offers);
        Assert.Equal(1_000, sessions.Count);
        Assert.Equal(result.Decisions, sessions.Sum(s => s.Snapshots.Count));
        Assert.All(sessions, s => Assert.Equal(ExperimentArm.Treatment, s.Arm));
    }

    /// <summary>The full BEFORE/AFTER report, as the scoring README shows it. Run with <c>--filter Category=Calibration</c>.</summary>
    [Fact]
    [Trait("Category", "Calibration")]
    public void Report_BeforeAndAfter()
    {
        var options = new CalibrationOptions(Visits: 20_000, Seed: CalibrationTuning.ReportSeed, HoldoutShare: 0.5);

        var before = CalibrationHarness.Run(CalibrationPolicy.Before, options);
        var after = CalibrationHarness.Run(CalibrationPolicy.Shipped, options);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{options.Visits:N0} visits, seed {options.Seed}, holdout {options.HoldoutShare:P0}"));
        output.WriteLine(CalibrationResult.Table(before, after));
        Assert.True(after.ExpectedNetMarginPer1000 > before.ExpectedNetMarginPer1000);
    }
}
