using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Learning;

public class LogisticRefitTests
{
    [Fact]
    public void Fit_RecoversTheWeightsTheDataWereDrawnWith()
    {
        var examples = Synthetic.Examples(60_000, seed: 7);

        var result = LogisticRefit.Fit(examples, RefitOptions.Default with { L2 = 0.01 });

        Assert.True(result.Fitted, string.Join(" ", result.Problems));
        Assert.True(result.Converged);
        Assert.InRange(result.Iterations, 2, 15);
        // Sampling error at 60,000 examples is a few hundredths for these features; 0.12 leaves room and still fails
        // for any weight the fit got wrong in kind (the smallest true weight is 0.05, the typical one 0.3).
        Assert.Equal(Synthetic.Truth.Intercept, result.Weights.Intercept, 0.25);
        foreach (var name in FeatureNames.All)
        {
            var tolerance = name == FeatureNames.CartValue || name == FeatureNames.CartMargin ? 0.15 : 0.12;
            Assert.True(Math.Abs(result.Weights.WeightOf(name) - Synthetic.Truth.WeightOf(name)) < tolerance,
                $"{name}: fitted {result.Weights.WeightOf(name):0.000}, truth {Synthetic.Truth.WeightOf(name):0.000}");
        }
    }

    [Fact]
    public void Fit_DoesAtLeastAsWellAsTheTruth_OnItsOwnData_AndBetterThanTheDefaults()
    {
        var examples = Synthetic.Examples(20_000, seed: 8);
        var labels = examples.Select(e => e.Abandoned).ToList();

        var fitted = LogisticRefit.Fit(examples);

        double Loss(ScoringWeights w) => ModelEvaluation.LogLoss(ModelEvaluation.Scores(new CartScorer(w), examples), labels);
        Assert.Equal(Loss(fitted.Weights), fitted.LogLoss, 9);
        Assert.True(fitted.LogLoss <= Loss(Synthetic.Truth) + 1e-9);
        Assert.True(fitted.LogLoss < Loss(ScoringWeights.Default));
    }

    [Fact]
    public void Fit_WithTooFewOutcomes_RefusesAndKeepsThePrior()
    {
        var examples = Synthetic.Examples(500, seed: 9);

        var result = LogisticRefit.Fit(examples, prior: ScoringWeights.Default);

        Assert.False(result.Fitted);
        Assert.Same(ScoringWeights.Default, result.Weights);
        Assert.Contains(result.Problems, p => p.Contains("at least 1000", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_WithTooFewOfOneOutcome_Refuses()
    {
        var examples = Synthetic.Examples(5_000, seed: 10).Select((e, i) => e with { Abandoned = i % 100 == 0 }).ToList();

        var result = LogisticRefit.Fit(examples);

        Assert.False(result.Fitted);
        Assert.Contains(result.Problems, p => p.Contains("of each", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_WithAStrongPenalty_StaysAtThePrior()
    {
        var examples = Synthetic.Examples(2_000, seed: 11);

        var result = LogisticRefit.Fit(examples, RefitOptions.Default with { L2 = 1e7 }, ScoringWeights.Default);

        Assert.True(result.Fitted);
        foreach (var name in FeatureNames.All)
        {
            Assert.Equal(ScoringWeights.Default.WeightOf(name), result.Weights.WeightOf(name), 2);
        }
    }

    [Fact]
    public void Fit_SessionWeights_CountASessionOnce_HoweverManySnapshotsItHas()
    {
        var examples = Synthetic.Examples(4_000, seed: 12);
        // The same data with every example split into four quarter-weight copies must give the same fit.
        var split = examples.SelectMany(e => Enumerable.Repeat(e with { Weight = 0.25 }, 4)).ToList();

        var once = LogisticRefit.Fit(examples);
        var quartered = LogisticRefit.Fit(split);

        Assert.Equal(once.Sessions, quartered.Sessions, 9);
        foreach (var name in FeatureNames.All)
        {
            Assert.Equal(once.Weights.WeightOf(name), quartered.Weights.WeightOf(name), 6);
        }
    }

    [Fact]
    public void Fit_OnSeparableData_StaysFiniteAndWithinTheScorersLimits()
    {
        // Every session with a payment failure is abandoned and no other: a perfect separator.
        var r = new Random(13);
        var examples = Enumerable.Range(0, 3_000).Select(i =>
        {
            var f = Synthetic.Features(r);
            return new TrainingExample(f, f.PaymentFailures > 0, 1, "s" + i);
        }).ToList();
        examples.AddRange(examples.Take(400).Select(e => e with { Features = e.Features with { PaymentFailures = 2 }, Abandoned = true }));

        var result = LogisticRefit.Fit(examples, RefitOptions.Default with { L2 = 0, MinPerOutcome = 100 });

        Assert.True(result.Fitted);
        Assert.Empty(result.Weights.Problems());
        Assert.True(result.Weights.WeightOf(FeatureNames.PaymentFailures) > 5);
        _ = new CartScorer(result.Weights); // the scorer accepts whatever the refit returns
    }

    [Fact]
    public void RefittedWeights_StillExplainEveryScore()
    {
        var examples = Synthetic.Examples(5_000, seed: 14);
        var scorer = new CartScorer(LogisticRefit.Fit(examples).Weights);

        foreach (var e in examples.Take(200))
        {
            var score = scorer.Evaluate(e.Features);
            Assert.InRange(score.TopReasons.Count, 1, 3);
            Assert.All(score.TopReasons, reason =>
            {
                Assert.Contains(reason.Feature, FeatureNames.All);
                Assert.False(string.IsNullOrWhiteSpace(reason.Description));
            });
            // Largest first, by magnitude.
            Assert.Equal(score.TopReasons.OrderByDescending(x => Math.Abs(x.Contribution)).Select(x => x.Feature), score.TopReasons.Select(x => x.Feature));
        }
    }

    [Fact]
    public void Options_AreValidated()
    {
        var problems = (RefitOptions.Default with { L2 = -1, MaxIterations = 0, Tolerance = 0, MinSessions = -1 }).Validate();

        Assert.Equal(4, problems.Count);
        Assert.Throws<ArgumentException>(() => LogisticRefit.Fit([], RefitOptions.Default with { L2 = double.NaN }));
    }
}
