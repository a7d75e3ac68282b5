using System.ComponentModel.DataAnnotations;
using CartCall.Functions.Features.BrowserEvents;
using CartCall.Functions.Features.Preferences;

namespace CartCall.Functions.Tests.Features.Preferences;

public sealed class PreferencesOptionsTests
{
    private static List<ValidationResult> Validate(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("c2hvcnQta2V5")] // "short-key": 9 bytes
    public void CookieSigningKey_MissingMalformedOrShort_IsRefused(string key)
    {
        var results = Validate(new PreferencesOptions { CookieSigningKey = key });

        Assert.Contains(results, r => r.MemberNames.Contains(nameof(PreferencesOptions.CookieSigningKey)));
    }

    [Fact]
    public void CookieSigningKey_Of32Bytes_AndDefaults_AreAccepted() =>
        Assert.Empty(Validate(new PreferencesOptions { CookieSigningKey = AppFixture.CookieSigningKey }));

    [Fact]
    public void CookieLifetime_BeyondWhatBrowsersKeep_IsRefused()
    {
        var results = Validate(new PreferencesOptions { CookieSigningKey = AppFixture.CookieSigningKey, CookieLifetime = TimeSpan.FromDays(500) });

        Assert.Contains(results, r => r.MemberNames.Contains(nameof(PreferencesOptions.CookieLifetime)));
    }

    [Fact]
    public void BrowserEventLimits_OfZero_AreRefused()
    {
        var results = Validate(new BrowserEventOptions { PerSessionLimit = 0, PerAddressLimit = 0 });

        Assert.Equal(2, results.Count);
    }
}
