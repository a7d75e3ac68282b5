using System.Globalization;
using System.Text.RegularExpressions;
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
        var rows = Readme.Split('\n')
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
