using System.Diagnostics;
using System.Globalization;
using System.Text;
using CartCall.Benchmarks.Ingest;
using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;
using CartCall.LocalCloud.Launcher;
using CartCall.LocalCloud.Simulator.Calibration;

namespace CartCall.Benchmarks.Calibration;

/// <summary>
/// <c>refit</c>: the time to refit a merchant's weights on 100,000 stored sessions (every decision snapshot of each,
/// from the shopper simulator), against a floor measured in the same run: one pass scoring every snapshot with the
/// live scorer, the least any refit must do. Also the shadow comparison on the holdout. Writes artifacts/bench/refit.md.
/// </summary>
public static class RefitBenchmark
{
    public static int Run(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var inv = CultureInfo.InvariantCulture;
        var target = IngestBenchmark.IntArg(args, "--sessions", 100_000);
        var repeats = IngestBenchmark.IntArg(args, "--repeats", 3);

        // Stored sessions = sessions with a cart, as the app keeps them; the simulator's visits are half carts.
        var watch = Stopwatch.StartNew();
        var labelled = new List<LabelledSession>(target);
        var visits = 0;
        while (labelled.Count < target)
        {
            var batch = Math.Max(1_000, (target - labelled.Count) * 2);
            var options = new CalibrationOptions(batch, CalibrationTuning.FitSeed + visits, HoldoutShare: HoldoutAssignment.DefaultShare, NeverOffer: true);
            CalibrationHarness.Run(CalibrationPolicy.Shipped, options, s =>
            {
                if (labelled.Count < target && s.Snapshots.Any(f => f.ItemCount > 0))
                {
                    labelled.Add(s);
                }
            });
            visits += batch;
        }

        var (training, holdout) = LearningSets.Build(labelled);
        var generated = watch.Elapsed;
        Console.WriteLine($"refit: {labelled.Count:N0} sessions ({training.Count:N0} training and {holdout.Count:N0} holdout snapshots) generated in {generated.TotalSeconds:0.0} s");

        var live = new CartScorer(ScoringWeights.Default);
        var floors = new List<double>();
        var fits = new List<double>();
        var comparisons = new List<double>();
        RefitResult? fit = null;
        ShadowComparison? comparison = null;
        for (var i = 0; i < repeats; i++)
        {
            watch.Restart();
            var sum = 0.0;
            foreach (var e in training)
            {
                sum += live.Evaluate(e.Features).Value;
            }

            floors.Add(watch.Elapsed.TotalMilliseconds);
            GC.KeepAlive(sum);

            watch.Restart();
            fit = LogisticRefit.Fit(training, RefitOptions.Default, ScoringWeights.Default);
            fits.Add(watch.Elapsed.TotalMilliseconds);

            watch.Restart();
            comparison = ShadowComparison.Compare(live, new CartScorer(fit.Weights), holdout);
            comparisons.Add(watch.Elapsed.TotalMilliseconds);
        }

        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var md = new StringBuilder()
            .AppendLine("## Refit timing").AppendLine()
            .AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `dotnet run -c Release --project tests/CartCall.Benchmarks -- refit` on {Environment.ProcessorCount} cores (load average {IngestBenchmark.LoadAverage()}); median of {repeats}.").AppendLine()
            .AppendLine("| Step | Time | Note |").AppendLine("|---|---|---|")
            .AppendLine(inv, $"| Floor: score every training snapshot once | {Median(floors):0} ms | {training.Count:N0} snapshots |")
            .AppendLine(inv, $"| Refit (L2 logistic regression, Newton) | {Median(fits):0} ms | {fit!.Iterations} Newton steps, {Median(fits) / Median(floors):0.0}× the floor; {fit.Sessions:N0} training sessions |")
            .AppendLine(inv, $"| Shadow comparison on the holdout | {Median(comparisons):0} ms | {holdout.Count:N0} snapshots, {comparison!.Sessions:N0} sessions |")
            .AppendLine()
            .AppendLine(inv, $"Verdict on the simulator's data: {comparison.Verdict}");
        Console.WriteLine(md.ToString());
        var path = Path.Combine(RepositoryLayout.Find().ArtifactsDirectory, "bench", "refit.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, md.ToString());
        Console.WriteLine($"written to {path}");
        return 0;
    }
}
