using CartCall.Domain.Preferences;

namespace CartCall.Domain.Tests.Preferences;

public class ShopperPreferencesTests
{
    private static readonly ShopperPreferences Good = new(PreferredMode.Phone, "+447400123456",
        new QuietHours(new TimeOnly(21, 0), new TimeOnly(8, 0)), "Europe/London", "en-GB",
        new Consent(DateTimeOffset.UnixEpoch, "v1", "https://shop.example/prefs"));

    [Fact]
    public void Validate_CompletePreferences_HasNoProblems()
    {
        Assert.Empty(Good.Validate());
        Assert.True(Good.CanBePhoned);
    }

    [Fact]
    public void Validate_PhoneModeWithoutNumberAndUnknownZone_ReportsBoth()
    {
        var problems = (Good with { PhoneE164 = null, TimeZoneId = "Nowhere/Land" }).Validate();
        Assert.Equal(2, problems.Count);
        Assert.False((Good with { PhoneE164 = null }).CanBePhoned);
    }

    [Fact]
    public void Json_Modes_UseLowerCaseNames()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Good);
        Assert.Contains("\"Mode\":\"phone\"", json, StringComparison.Ordinal);
        Assert.Equal(Good.Mode, System.Text.Json.JsonSerializer.Deserialize<ShopperPreferences>(json)!.Mode);
    }
}
