using CartCall.Domain.Learning;

namespace CartCall.Domain.Tests.Learning;

public class ModelEvaluationTests
{
    [Fact]
    public void Auc_ByHand()
    {
        // Positives score 0.35 and 0.8, negatives 0.1 and 0.4: of the four pairs, three are ordered right.
        Assert.Equal(0.75, ModelEvaluation.Auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]));
    }

    [Fact]
    public void Auc_TiesCountHalf_AndWeightsCountAsCopies()
    {
        Assert.Equal(0.5, ModelEvaluation.Auc([0.5, 0.5], [true, false]));
        // Weight 3 on the misordered negative is three of them: pairs (p0.35 vs n0.1, n0.4×3) and (p0.8 vs all):
        // right = 1 + 4 = 5 of 2 × 4 = 8.
        Assert.Equal(5.0 / 8, ModelEvaluation.Auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true], [1, 3, 1, 1]));
        Assert.True(double.IsNaN(ModelEvaluation.Auc([0.2, 0.3], [true, true])));
    }

    [Fact]
    public void LogLoss_ByHand()
    {
        // −(ln 0.8 + ln(1 − 0.3)) / 2 = (0.22314 + 0.35667) / 2 = 0.28991.
        Assert.Equal(0.28991, ModelEvaluation.LogLoss([0.8, 0.3], [true, false]), 5);
        // A certain mistake is costly but finite.
        Assert.True(double.IsFinite(ModelEvaluation.LogLoss([0.0], [true])));
        Assert.Throws<ArgumentException>(() => ModelEvaluation.LogLoss([0.5], [true, false]));
    }
}
