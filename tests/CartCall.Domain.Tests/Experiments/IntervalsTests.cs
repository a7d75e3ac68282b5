using CartCall.Domain.Experiments;

namespace CartCall.Domain.Tests.Experiments;

/// <summary>Checked against published worked examples and hand arithmetic, not against the code's own output.</summary>
public class IntervalsTests
{
    [Theory]
    // Newcombe (1998), "Two-sided confidence intervals for the single proportion", Statistics in Medicine 17:857–872,
    // Table I, Wilson score method without continuity correction.
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Wilson_MatchesNewcombesExamples(int x, int n, double lower, double upper)
    {
        var e = Intervals.Wilson(x, n);

        Assert.Equal((double)x / n, e.Value, 12);
        Assert.Equal(lower, e.Lower, 4);
        Assert.Equal(upper, e.Upper, 4);
    }

    [Fact]
    public void Wilson_ByHand_FourOutOfTen()
    {
        // p = 0.4, z² = 3.8415: centre = (0.4 + 0.19207) / 1.38415 = 0.42782;
        // half = 1.95996 / 1.38415 × √(0.024 + 0.0096037) = 1.41600 × 0.18331 = 0.25957 → [0.1683, 0.6874].
        var e = Intervals.Wilson(4, 10);

        Assert.Equal(0.1682, e.Lower, 3);
        Assert.Equal(0.6873, e.Upper, 3);
    }

    [Fact]
    public void Wilson_WithNoTrials_KnowsNothing_AndRefusesImpossibleCounts()
    {
        Assert.Equal(new Estimate(0, 0, 1), Intervals.Wilson(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Intervals.Wilson(-1, 4));
    }

    [Theory]
    // Newcombe (1998), "Interval estimation for the difference between independent proportions: comparison of eleven
    // methods", Statistics in Medicine 17:873–890, Table II, method 10 (hybrid score, no continuity correction).
    [InlineData(56, 70, 48, 80, 0.0524, 0.3339)]
    [InlineData(9, 10, 3, 10, 0.1705, 0.8090)]
    [InlineData(5, 56, 0, 29, -0.0381, 0.1926)]
    [InlineData(0, 10, 0, 20, -0.1611, 0.2775)]
    [InlineData(0, 10, 0, 10, -0.2775, 0.2775)]
    [InlineData(10, 10, 0, 20, 0.6791, 1.0000)]
    [InlineData(10, 10, 0, 10, 0.6075, 1.0000)]
    public void Newcombe_MatchesThePublishedTable(int x1, int n1, int x2, int n2, double lower, double upper)
    {
        var e = Intervals.NewcombeDifference(x1, n1, x2, n2);

        Assert.Equal(((double)x1 / n1) - ((double)x2 / n2), e.Value, 12);
        Assert.Equal(lower, e.Lower, 4);
        Assert.Equal(upper, e.Upper, 4);
    }

    [Fact]
    public void MeanDifference_ByHand()
    {
        // a = {1, 2, 3, 4}: mean 2.5, s² = 5/3.  b = {2, 4}: mean 3, s² = 2.
        // d = −0.5; se = √(5/12 + 1) = 1.19024; half = 1.95996 × 1.19024 = 2.33283.
        var e = Intervals.MeanDifference(SampleMoments.Of([1, 2, 3, 4]), SampleMoments.Of([2, 4]));

        Assert.Equal(-0.5, e.Value, 12);
        Assert.Equal(-2.83283, e.Lower, 4);
        Assert.Equal(1.83283, e.Upper, 4);
    }

    [Fact]
    public void MeanDifference_WithASingleObservation_IsUnbounded()
    {
        var e = Intervals.MeanDifference(SampleMoments.Of([5]), SampleMoments.Of([1, 2]));

        Assert.Equal(3.5, e.Value, 12);
        Assert.True(double.IsNegativeInfinity(e.Lower) && double.IsPositiveInfinity(e.Upper));
    }

    [Fact]
    public void SampleMoments_MatchTheTwoPassFormulas()
    {
        var values = new[] { 12.5, 0, 0, 80, 44.25, 0, 3 };
        var m = SampleMoments.Of(values);
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);

        Assert.Equal(values.Length, m.Count);
        Assert.Equal(mean, m.Mean, 10);
        Assert.Equal(variance, m.Variance, 8);
    }

    [Fact]
    public void Estimate_ScaleByANegativeFactor_KeepsLowerBelowUpper()
    {
        Assert.Equal(new Estimate(-2, -6, 2), new Estimate(1, -1, 3).Scale(-2));
        Assert.Equal(new Estimate(4, 2, 6), new Estimate(1, -1, 3).Shift(3));
    }
}
