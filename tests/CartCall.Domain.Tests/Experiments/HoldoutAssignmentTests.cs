using System.Globalization;
using CartCall.Domain.Experiments;

namespace CartCall.Domain.Tests.Experiments;

public class HoldoutAssignmentTests
{
    private static IEnumerable<string> Sessions(int count) =>
        Enumerable.Range(0, count).Select(i => "sess-" + i.ToString("D6", CultureInfo.InvariantCulture));

    [Fact]
    public void Assign_IsStable_AcrossCallsAndRetries()
    {
        foreach (var session in Sessions(2_000))
        {
            var first = HoldoutAssignment.Assign("shop-1", session, 0.10);
            Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal(first, HoldoutAssignment.Assign("shop-1", session, 0.10)));
        }
    }

    [Fact]
    public void Bucket_IsPinned_SoADeployNeverFlipsRunningExperiments()
    {
        // If these move, every merchant's control group is reshuffled mid-experiment; change KeyVersion deliberately
        // instead. The values were computed independently (SHA-256 of the documented key in Python).
        Assert.Equal(PinnedA, HoldoutAssignment.Bucket("shop-1", "sess-000001"), 15);
        Assert.Equal(PinnedB, HoldoutAssignment.Bucket("demo", "checkout-42"), 15);
    }

    private const double PinnedA = 0.3013600879555487;
    private const double PinnedB = 0.8791952821976163;

    [Theory]
    [InlineData(0.10)]
    [InlineData(0.05)]
    [InlineData(0.25)]
    [InlineData(0.50)]
    public void RealisedShare_IsCloseToTheTarget_EvenForSequentialIds(double share)
    {
        const int n = 100_000;
        var control = Sessions(n).Count(s => HoldoutAssignment.Assign("shop-1", s, share) == ExperimentArm.Control);

        // Binomial SD at n = 100,000 is at most 0.16 points; allow five.
        var tolerance = 5 * Math.Sqrt(share * (1 - share) / n);
        Assert.InRange((double)control / n, share - tolerance, share + tolerance);
    }

    [Fact]
    public void Buckets_AreUniform_AcrossTenDeciles()
    {
        var counts = new int[10];
        foreach (var s in Sessions(50_000))
        {
            counts[(int)(HoldoutAssignment.Bucket("shop-2", s) * 10)]++;
        }

        // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
        var chi2 = counts.Sum(c => Math.Pow(c - 5_000, 2) / 5_000);
        Assert.True(chi2 < 27.9, $"chi-square {chi2:0.0} over deciles {string.Join(", ", counts)}");
    }

    [Fact]
    public void RaisingTheShare_OnlyAddsSessionsToTheControlGroup()
    {
        var at5 = Sessions(20_000).Where(s => HoldoutAssignment.Assign("shop-1", s, 0.05) == ExperimentArm.Control).ToHashSet();
        var at10 = Sessions(20_000).Where(s => HoldoutAssignment.Assign("shop-1", s, 0.10) == ExperimentArm.Control).ToHashSet();

        Assert.Subset(at10, at5);
        Assert.True(at10.Count > at5.Count);
    }

    [Fact]
    public void TheSameSessionId_AtAnotherMerchant_IsAssignedIndependently()
    {
        var a = Sessions(20_000).Select(s => HoldoutAssignment.Assign("shop-a", s, 0.5)).ToList();
        var b = Sessions(20_000).Select(s => HoldoutAssignment.Assign("shop-b", s, 0.5)).ToList();

        var agreement = a.Zip(b).Count(p => p.First == p.Second) / 20_000.0;
        Assert.InRange(agreement, 0.48, 0.52);
    }

    [Fact]
    public void Keys_AreLengthPrefixed_SoConcatenationsDoNotCollide()
    {
        Assert.NotEqual(HoldoutAssignment.Bucket("ab", "c"), HoldoutAssignment.Bucket("a", "bc"));
    }

    [Fact]
    public void ZeroShare_HoldsNothingOut_AndAnInvalidShareIsRefused()
    {
        Assert.All(Sessions(1_000), s => Assert.Equal(ExperimentArm.Treatment, HoldoutAssignment.Assign("shop-1", s, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldoutAssignment.Assign("shop-1", "s", 0.6));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldoutAssignment.Assign("shop-1", "s", double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => HoldoutAssignment.Assign("shop-1", "s", -0.1));
    }

    [Fact]
    public void Settings_ValidateTheirRanges()
    {
        Assert.Empty(ExperimentSettings.Default.Validate());
        Assert.Equal(0.10, ExperimentSettings.Default.HoldoutShare);
        Assert.Equal(2, new ExperimentSettings(0.7, TimeSpan.FromDays(90)).Validate().Count);
        Assert.Single(new ExperimentSettings(double.NaN, TimeSpan.FromHours(1)).Validate());
    }
}
