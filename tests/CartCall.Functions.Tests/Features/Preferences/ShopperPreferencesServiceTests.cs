using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Preferences;

namespace CartCall.Functions.Tests.Features.Preferences;

/// <summary>One validation path for preferences, whether saved (PutPreferences) or carried by an accept.</summary>
public sealed class ShopperPreferencesServiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static ShopperProfile Anonymous() => ShopperProfile.Anonymous("m-1", "pr_AAAAAAAAAAAAAAAAAAAAAA", "en", Now);

    [Theory]
    [InlineData(PreferencesUse.Profile)]
    [InlineData(PreferencesUse.Call)]
    public void EveryField_IsCheckedTheSameWay_ForEitherUse(PreferencesUse use)
    {
        var update = new PreferencesUpdate
        {
            Mode = PreferredMode.Browser,
            PhoneNumber = "not a number",
            QuietHours = new QuietHoursText("9pm", "08:00"),
            TimeZone = "Mars/Olympus",
            Language = "english please",
        };

        var (next, problems) = ShopperPreferencesService.Apply(Anonymous(), update, "https://shop.example", Now, use);

        Assert.Null(next);
        Assert.Contains(problems, p => p.StartsWith("phoneNumber:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("HH:mm", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Mars/Olympus", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("BCP 47", StringComparison.Ordinal));
    }

    [Fact]
    public void APhoneModeWithoutConsent_CannotBeSaved_ButMaySetUpOneCall_WhereModeSelectionFallsBack()
    {
        var update = new PreferencesUpdate { Mode = PreferredMode.Phone, PhoneNumber = "+12015550123", TimeZone = "UTC", Language = "en" };

        var (saved, saveProblems) = ShopperPreferencesService.Apply(Anonymous(), update, "https://shop.example", Now, PreferencesUse.Profile);
        var (forCall, callProblems) = ShopperPreferencesService.Apply(Anonymous(), update, "https://shop.example", Now, PreferencesUse.Call);

        Assert.Null(saved);
        Assert.Contains(saveProblems, p => p.Contains("mode phone needs consent", StringComparison.Ordinal));
        Assert.Empty(callProblems);
        Assert.Equal(PreferredMode.Phone, forCall!.Mode);
        Assert.Null(forCall.ToPreferences().PhoneConsent);
    }

    [Fact]
    public void QuietHours_WithSeconds_AreReadForEitherUse()
    {
        var update = new PreferencesUpdate
        {
            Mode = PreferredMode.Ask, QuietHours = new QuietHoursText("21:00:00", "08:00:00"), TimeZone = "Europe/London", Language = "en",
        };

        var (next, problems) = ShopperPreferencesService.Apply(Anonymous(), update, "https://shop.example", Now);

        Assert.Empty(problems);
        Assert.Equal(new QuietHours(new TimeOnly(21, 0), new TimeOnly(8, 0)), next!.ToPreferences().Quiet);
    }
}
