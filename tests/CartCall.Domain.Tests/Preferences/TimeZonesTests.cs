using CartCall.Domain.Preferences;

namespace CartCall.Domain.Tests.Preferences;

public class TimeZonesTests
{
    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    [InlineData("Etc/UTC")]
    public void IsKnown_IanaId_IsTrue(string id) => Assert.True(TimeZones.IsKnown(id));

    [Theory]
    [InlineData("W. Europe Standard Time")] // a Windows id: not portable
    [InlineData("Mars/Olympus")]
    [InlineData("")]
    [InlineData(null)]
    public void IsKnown_NonIanaOrUnknownId_IsFalse(string? id) => Assert.False(TimeZones.IsKnown(id));
}
