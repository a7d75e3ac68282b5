using System.Globalization;
using System.Text.RegularExpressions;
using CartCall.Domain.Experiments;
using CartCall.Domain.Offers;
using CartCall.Domain.Scoring;

namespace CartCall.Domain.Tests.Scoring;

/// <summary>The documented model must be the model that runs.</summary>
public partial class ScoringReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(
        RepositoryRoot(), "functions", "CartCall.Domain", "Scoring", "README.md"));

    [Fact]
    public void Readme_DefaultWeightsTable_MatchesCode()
    {
        var rows = Section("## Default weights")
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Feature", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(c => c[1], c => (Transform: c[2], Weight: double.Parse(c[3], CultureInfo.InvariantCulture)));

        Assert.Equal(FeatureNames.All.Order(), rows.Keys.Order());
        foreach (var spec in FeatureSpecs.All)
        {
            Assert.Equal(spec.TransformText, rows[spec.Name].Transform);
            Assert.Equal(ScoringWeights.Default.WeightOf(spec.Name), rows[spec.Name].Weight);
        }
    }

    [Fact]
    public void Readme_Intercept_MatchesCode()
    {
        var match = InterceptLine().Match(Readme);
        Assert.True(match.Success, "README states the intercept as 'Intercept: **x**'.");
        var documented = double.Parse(match.Groups[1].Value.Replace('\u2212', '-'), CultureInfo.InvariantCulture);
        Assert.Equal(ScoringWeights.Default.Intercept, documented);
    }

    [Fact]
    public void Readme_PolicyDefaultsTable_MatchesCode()
    {
        var rows = Section("## Offer policy defaults")
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Setting", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(c => c[1], c => c[2]);

        string Number(double x) => x.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(Number(OfferDefaults.MinScore), rows["minScore"]);
        Assert.Equal(Number(OfferDefaults.MinCartValue), rows["minCartValue"]);
        Assert.Equal(OfferDefaults.RequireCheckout ? "true" : "false", rows["requireCheckout"]);
        Assert.Equal(Number(OfferDefaults.DefaultMarginRate), rows["defaultMarginRate"]);
        Assert.Equal(Number(OfferDefaults.CallCost), rows["callCost"]);
        Assert.Equal(Number(OfferDefaults.ExpectedRecoveryRate), rows["expectedRecoveryRate"]);
        Assert.Equal(Number(OfferDefaults.ExpectedAcceptanceRate), rows["expectedAcceptanceRate"]);
        Assert.Equal(Number(HoldoutAssignment.DefaultShare), rows["holdoutShare"]);
    }

    [Fact]
    public void Readme_IdleSchedule_MatchesCode()
    {
        var marks = string.Join(", ", IdleSchedule.Default.Marks().Select(m => m.TotalSeconds.ToString(CultureInfo.InvariantCulture)));

        Assert.Contains($"(marks at {marks[..marks.LastIndexOf(',')]} and {marks[(marks.LastIndexOf(',') + 2)..]} s)", Readme, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(20), IdleSchedule.Default.StopAfter);
    }

    /// <summary>The lines of one README section, up to the next heading of the same level.</summary>
    private static IEnumerable<string> Section(string heading) =>
        Readme.Split('\n').SkipWhile(l => l.TrimEnd() != heading).Skip(1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Functions.sln not found above the test binaries.");
    }

    [GeneratedRegex(@"Intercept: \*\*([^*]+)\*\*")]
    private static partial Regex InterceptLine();
}
