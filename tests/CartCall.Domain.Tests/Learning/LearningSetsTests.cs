using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Learning;

public class LearningSetsTests
{
    private static SessionFeatures Cart(double idle) => SessionFeatures.None with { CartValue = 50, CartMargin = 20, ItemCount = 1, IdleSeconds = idle };

    [Fact]
    public void Build_TrainsOnUnshownTreatment_ComparesOnControl_AndDropsShownSessions()
    {
        var outcomes = new[]
        {
            new LabelledSession("t1", ExperimentArm.Treatment, OfferShown: false, Completed: false, [Cart(0), Cart(30), Cart(90), Cart(180)]),
            new LabelledSession("t2", ExperimentArm.Treatment, OfferShown: true, Completed: true, [Cart(0)]),
            new LabelledSession("c1", ExperimentArm.Control, OfferShown: false, Completed: true, [Cart(0), Cart(30)]),
        };

        var (training, holdout) = LearningSets.Build(outcomes);

        Assert.Equal(4, training.Count);
        Assert.All(training, e => Assert.Equal(("t1", true, 0.25), (e.Group, e.Abandoned, e.Weight)));
        Assert.Equal(2, holdout.Count);
        Assert.All(holdout, e => Assert.Equal(("c1", false, 0.5), (e.Group, e.Abandoned, e.Weight)));
    }

    [Fact]
    public void Build_DropsSnapshotsAfterTheOrder_AndWithoutACart()
    {
        var outcomes = new[]
        {
            new LabelledSession("t1", ExperimentArm.Treatment, false, Completed: true,
                [SessionFeatures.None, Cart(0), Cart(20) with { OrderCompleted = true }]),
            new LabelledSession("t2", ExperimentArm.Treatment, false, Completed: false, [SessionFeatures.None]),
        };

        var (training, _) = LearningSets.Build(outcomes);

        var only = Assert.Single(training);
        Assert.Equal(("t1", false, 1.0, 0.0), (only.Group, only.Abandoned, only.Weight, only.Features.IdleSeconds));
    }
}
