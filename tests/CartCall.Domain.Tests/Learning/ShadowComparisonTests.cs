using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Learning;

public class ShadowComparisonTests
{
    private static readonly List<TrainingExample> Holdout = Synthetic.Examples(6_000, seed: 21);

    [Fact]
    public void Candidate_ThatMatchesTheData_IsPromotedOverWrongLiveWeights()
    {
        var c = ShadowComparison.Compare(new CartScorer(ScoringWeights.Default), new CartScorer(Synthetic.Truth), Holdout);

        Assert.True(c.Promote, c.Verdict);
        Assert.True(c.CandidateLogLoss < c.LiveLogLoss);
        Assert.True(c.LogLossReduction.Lower > 0);
        Assert.Equal(6_000, c.Sessions, 9);
    }

    [Fact]
    public void Candidate_NoBetterThanLive_IsNotPromoted()
    {
        var c = ShadowComparison.Compare(new CartScorer(Synthetic.Truth), new CartScorer(Synthetic.Truth), Holdout);

        Assert.False(c.Promote);
        Assert.Equal(0, c.LogLossReduction.Value, 12);
        Assert.Contains("is needed", c.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Candidate_OnlySlightlyBetter_MustClearTheMargin()
    {
        // Nudge the truth: a candidate 1% better would pass a plain "lower log loss" test but not the 2% margin.
        var slightlyOff = Synthetic.Truth with { Intercept = Synthetic.Truth.Intercept + 0.15 };
        var c = ShadowComparison.Compare(new CartScorer(slightlyOff), new CartScorer(Synthetic.Truth), Holdout);

        Assert.True(c.CandidateLogLoss < c.LiveLogLoss);
        Assert.False(c.Promote, c.Verdict);
    }

    [Fact]
    public void SmallHoldout_DecidesNothing()
    {
        var c = ShadowComparison.Compare(new CartScorer(ScoringWeights.Default), new CartScorer(Synthetic.Truth), Holdout.Take(100).ToList());

        Assert.False(c.Promote);
        Assert.Contains("Not enough", c.Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void Snapshots_OfOneSession_AreOneSessionInTheComparison()
    {
        var repeated = Holdout.Take(300).SelectMany(e => Enumerable.Repeat(e with { Weight = 0.1 }, 10)).ToList();

        var c = ShadowComparison.Compare(new CartScorer(ScoringWeights.Default), new CartScorer(Synthetic.Truth), repeated);

        Assert.Equal(300, c.Sessions, 9);
        Assert.Equal(3_000, c.Examples);
    }
}
