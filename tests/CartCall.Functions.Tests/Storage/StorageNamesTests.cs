using System.Text.RegularExpressions;
using CartCall.Functions.Storage;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Storage;

/// <summary>In Azure the tables and queues come from Bicep, not from the app: the two lists must agree.</summary>
public sealed class StorageNamesTests
{
    private static IReadOnlyList<string> BicepList(string variable)
    {
        var bicep = File.ReadAllText(Path.Combine(RepoPaths.Root, "bicep", "main.bicep"));
        var block = Regex.Match(bicep, $@"var {variable} = \[(?<items>[^\]]*)\]").Groups["items"].Value;
        return Regex.Matches(block, "'(?<name>[^']+)'").Select(m => m.Groups["name"].Value).ToList();
    }

    [Fact]
    public void EveryTableTheAppUses_IsDeployedByBicep() =>
        Assert.Empty(StorageNames.Tables.Except(BicepList("tableNames")));

    [Fact]
    public void EveryQueueTheAppUses_IsDeployedByBicep() =>
        Assert.Empty(StorageNames.Queues.Except(BicepList("queueNames")));
}
