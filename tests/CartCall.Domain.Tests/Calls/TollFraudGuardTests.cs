using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using Phones = CartCall.Domain.Preferences.PhoneNumbers;

namespace CartCall.Domain.Tests.Calls;

public class TollFraudGuardTests
{
    private static readonly TollFraudSettings Settings = new(["GB", "de"], MaxCallsPerNumberPerHour: 2,
        MaxCallsPerSessionPerHour: 3, MaxCallsPerClientAddressPerHour: 5);

    private static readonly TollFraudCounters None = new(0, 0, 0);

    [Fact]
    public void Check_OrdinaryNumberInAllowedCountryUnderLimits_IsAllowed()
    {
        Assert.Empty(TollFraudGuard.Check(Phones.Check("07400 123456", "GB"), Settings, None));
        Assert.Empty(TollFraudGuard.Check(Phones.Check("+49 30 123456", null), Settings, None)); // "de" matches DE
    }

    [Fact]
    public void Check_PremiumRateNumber_IsRefused()
    {
        var problems = TollFraudGuard.Check(Phones.Check("+44 909 8790000", null), Settings, None);
        Assert.Contains("premium-rate", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_PhoneCheckClaimingOkForPremiumType_IsStillRefused()
    {
        var forged = new PhoneCheck(true, "+449098790000", "GB", "PREMIUM_RATE", null);
        Assert.Contains("PREMIUM_RATE", Assert.Single(TollFraudGuard.Check(forged, Settings, None)), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_CountryNotAllowed_IsRefused()
    {
        var problems = TollFraudGuard.Check(Phones.Check("+1 212 555 0199", null), Settings with { AllowedCountries = ["GB"] }, None);
        Assert.Contains("'US'", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NumberHourlyLimitReached_IsRefused()
    {
        var problems = TollFraudGuard.Check(Phones.Check("07400 123456", "GB"), Settings, None with { CallsToNumberLastHour = 2 });
        Assert.Contains("This number", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BrowserCall_OnlyCountersApply()
    {
        Assert.Empty(TollFraudGuard.Check(null, Settings with { AllowedCountries = [] }, None with { CallsToNumberLastHour = 99 }));
        var problems = TollFraudGuard.Check(null, Settings, new TollFraudCounters(0, CallsForSessionLastHour: 3, CallsFromAddressLastHour: 5));
        Assert.Equal(2, problems.Count);
    }

    [Fact]
    public void Settings_Validate_RefusesBadCountryCodes()
    {
        Assert.Single((Settings with { AllowedCountries = ["GBR"] }).Validate());
        Assert.Empty(Settings.Validate());
    }
}
