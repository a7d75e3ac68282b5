using System.Globalization;
using System.Text;
using CartCall.Benchmarks.Ingest;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using CartCall.LocalCloud.Simulator.Calibration;
using CartCall.LocalCloud.Launcher;

namespace CartCall.Benchmarks.Calibration;

/// <summary>
/// <c>calibrate</c>: the shopper simulator's visits through the real domain in process (no app, no HTTP), BEFORE (the
/// old defaults) against the shipped defaults, with the measured uplift. <c>--tune</c> also redoes the tuning: the
/// weights refitted on the fit seed and the threshold sweep on the tuning seed. Writes artifacts/bench/calibration.md.
/// </summary>
public static class CalibrationCommand
{
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var inv = CultureInfo.InvariantCulture;
        var visits = IngestBenchmark.IntArg(args, "--visits", 20_000);
        var seed = IngestBenchmark.IntArg(args, "--seed", CalibrationTuning.ReportSeed);
        var holdout = IngestBenchmark.StringArg(args, "--holdout") is { } h ? double.Parse(h, inv) : 0.5;
        var md = new StringBuilder();

        if (args.Contains("--tune"))
        {
            Tune(visits, md);
        }

        var options = new CalibrationOptions(visits, seed, holdout);
        var before = CalibrationHarness.Run(CalibrationPolicy.Before, options);
        var after = CalibrationHarness.Run(CalibrationPolicy.Shipped, options);
        md.AppendLine(inv, $"## Before and after ({visits:N0} visits, seed {seed}, holdout {holdout:P0})").AppendLine()
          .Append(CalibrationResult.Table(before, after)).AppendLine();
        md.AppendLine("Offers by the shopper's hidden situation (after): " + string.Join(", ",
            after.OffersBySituation.OrderByDescending(p => p.Value).Select(p => string.Create(inv, $"{p.Key} {p.Value}"))));
        md.AppendLine("Abandoned carts by situation: " + string.Join(", ",
            after.AbandonedBySituation.OrderByDescending(p => p.Value).Select(p => string.Create(inv, $"{p.Key} {p.Value}"))));
        md.AppendLine(inv, $"Cart abandonment in the run: {after.CartAbandonment:P1}; checkouts {after.Checkouts:N0}; completed {after.Completed:N0}.");

        Console.WriteLine(md.ToString());
        var path = Path.Combine(RepositoryLayout.Find().ArtifactsDirectory, "bench", "calibration.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, md.ToString());
        Console.WriteLine($"written to {path}");
        return 0;
    }

    private static void Tune(int visits, StringBuilder md)
    {
        var inv = CultureInfo.InvariantCulture;
        var fit = CalibrationTuning.FitWeights(visits, IdleSchedule.Default);
        var weights = CalibrationTuning.Rounded(fit.Weights);
        md.AppendLine(inv, $"## Refit on seed {CalibrationTuning.FitSeed} ({fit.Sessions:N0} sessions, {fit.Examples:N0} snapshots, {fit.Iterations} Newton steps, log loss {fit.LogLoss:0.0000})").AppendLine();
        md.AppendLine("| Feature | Fitted | Rounded |").AppendLine("|---|---|---|");
        md.AppendLine(inv, $"| intercept | {fit.Weights.Intercept:0.0000} | {weights.Intercept:0.00} |");
        foreach (var name in FeatureNames.All)
        {
            md.AppendLine(inv, $"| {name} | {fit.Weights.WeightOf(name):0.0000} | {weights.WeightOf(name):0.00} |");
        }

        md.AppendLine();
        var policy = CalibrationPolicy.Shipped with { Name = "candidate", Weights = weights };
        var sweep = CalibrationTuning.Sweep(policy, [0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85], [0m, 25m, 50m], visits);
        md.AppendLine(inv, $"## Threshold sweep on seed {CalibrationTuning.TuneSeed} (value model: recovery {policy.Settings.Value.ExpectedRecoveryRate}, acceptance {policy.Settings.Value.ExpectedAcceptanceRate}, call cost {policy.Settings.Value.CallCost})").AppendLine();
        md.AppendLine("| min score | min cart | offers/1,000 | abandoned carts offered | precision | net margin/1,000 | recovery | calls/offer |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var p in sweep)
        {
            var r = p.Result;
            md.AppendLine(inv, $"| {p.MinScore:0.00} | {p.MinCartValue:0} | {r.OffersPer1000Sessions:0.0} | {r.ShareOfAbandonedCartsOffered:P1} | {r.Precision:P1} | {r.ExpectedNetMarginPer1000:0.00} | {r.RealisedRecoveryRate:P1} | {r.RealisedAcceptanceRate:P1} |");
        }

        var chosen = CalibrationTuning.Choose(sweep);
        md.AppendLine().AppendLine(inv, $"Chosen (best net margin; within {CalibrationTuning.Tie:P0} of it, the highest min score): min score {chosen.MinScore:0.00}, min cart {chosen.MinCartValue:0}; recovery {chosen.Result.RealisedRecoveryRate:0.000}, calls per offer {chosen.Result.RealisedAcceptanceRate:0.000}.");
        md.AppendLine();
    }
}
