using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Scoring;

public class ScoringWeightsTests
{
    [Fact]
    public void Default_HasAWeightForEveryFeatureAndNoProblems()
    {
        Assert.Equal(FeatureNames.All.Order(), ScoringWeights.Default.Weights.Keys.Order());
        Assert.Empty(ScoringWeights.Default.Problems());
    }

    [Fact]
    public void Validate_UnknownFeatureName_IsReportedByName()
    {
        var problems = ScoringWeights.Validate(new Dictionary<string, double> { ["cart_valu"] = 1, [FeatureNames.Revisits] = 1 });
        var problem = Assert.Single(problems);
        Assert.Contains("'cart_valu'", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(20.5)]
    [InlineData(-21)]
    public void Validate_NonFiniteOrOversizedWeight_IsRefused(double weight)
    {
        var problems = ScoringWeights.Validate(new Dictionary<string, double> { [FeatureNames.PaymentFailures] = weight });
        Assert.Contains(FeatureNames.PaymentFailures, Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullOrKnownNames_HasNoProblems()
    {
        Assert.Empty(ScoringWeights.Validate(null));
        Assert.Empty(ScoringWeights.Validate(new Dictionary<string, double> { [FeatureNames.Intercept] = -3, [FeatureNames.CartMargin] = 0.2 }));
    }

    [Fact]
    public void With_Override_ReplacesOnlyTheNamedWeight()
    {
        var before = ScoringWeights.Default.WeightOf(FeatureNames.CartMargin);
        var merchant = ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.CartMargin] = 0.4 });

        Assert.Equal(0.4, merchant.WeightOf(FeatureNames.CartMargin));
        Assert.Equal(ScoringWeights.Default.Intercept, merchant.Intercept);
        foreach (var name in FeatureNames.All.Where(n => n != FeatureNames.CartMargin))
        {
            Assert.Equal(ScoringWeights.Default.WeightOf(name), merchant.WeightOf(name));
        }

        Assert.NotEqual(0.4, before);
        Assert.Equal(before, ScoringWeights.Default.WeightOf(FeatureNames.CartMargin)); // defaults untouched
    }

    [Fact]
    public void With_InterceptOverride_ReplacesIntercept()
    {
        Assert.Equal(-2.5, ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.Intercept] = -2.5 }).Intercept);
    }

    [Fact]
    public void With_UnknownName_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            ScoringWeights.Default.With(new Dictionary<string, double> { ["shoe_size"] = 1 }));
        Assert.Contains("shoe_size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equals_ComparesWeightsByValue()
    {
        var revisits = ScoringWeights.Default.WeightOf(FeatureNames.Revisits);
        var same = ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.Revisits] = revisits });
        Assert.Equal(ScoringWeights.Default, same);
        Assert.NotEqual(ScoringWeights.Default, ScoringWeights.Default.With(new Dictionary<string, double> { [FeatureNames.Revisits] = revisits + 0.01 }));
    }
}
