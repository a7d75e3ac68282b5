using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;

namespace CartCall.Domain.Tests.Calls;

public class ModeSelectorTests
{
    private static readonly Consent Consented = new(DateTimeOffset.UnixEpoch, "v1", "widget");

    private static ShopperPreferences Prefs(PreferredMode mode, string? phone = "+447400123456", Consent? consent = null) =>
        new(mode, phone, null, "Europe/London", "en-GB", consent);

    [Fact]
    public void Select_WhenBrowserPreferredAndAudioWorks_PicksBrowser()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Browser), BrowserCanDoAudio: true, null));
        Assert.Equal(CallMode.Browser, s.Mode);
    }

    [Fact]
    public void Select_WhenBrowserPreferredWithoutAudio_FallsBackToPhone()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Browser, consent: Consented), BrowserCanDoAudio: false, null));
        Assert.Equal(CallMode.Phone, s.Mode);
        Assert.Contains("cannot do audio", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_WhenPhonePreferredWithConsent_PicksPhone()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Phone, consent: Consented), BrowserCanDoAudio: true, null));
        Assert.Equal(CallMode.Phone, s.Mode);
    }

    [Fact]
    public void Select_WhenPhonePreferredWithoutConsent_FallsBackToBrowser()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Phone, consent: null), BrowserCanDoAudio: true, null));
        Assert.Equal(CallMode.Browser, s.Mode);
        Assert.Contains("no consent", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_WhenPhonePreferredWithoutNumberOrAudio_AsksTheShopper()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Phone, phone: null, consent: Consented), BrowserCanDoAudio: false, null));
        Assert.Null(s.Mode);
        Assert.True(s.MustAsk);
        Assert.Contains("no phone number", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_ShopperChoice_BeatsStoredPreference()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Phone, consent: Consented), BrowserCanDoAudio: true, CallMode.Browser));
        Assert.Equal(CallMode.Browser, s.Mode);
        Assert.Contains("chosen by the shopper", s.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Select_WhenAskPreferred_AsksEvenIfBothWork()
    {
        var s = ModeSelector.Select(new ModeRequest(Prefs(PreferredMode.Ask, consent: Consented), BrowserCanDoAudio: true, null));
        Assert.Null(s.Mode);
    }

    [Theory]
    [InlineData(true, CallMode.Browser)]
    [InlineData(false, null)]
    public void Select_UnknownShopper_UsesBrowserOnlyWhenItCanDoAudio(bool audio, CallMode? expected)
    {
        Assert.Equal(expected, ModeSelector.Select(new ModeRequest(null, audio, null)).Mode);
    }

    [Fact]
    public void Select_AlwaysGivesAReason()
    {
        foreach (var mode in Enum.GetValues<PreferredMode>())
        {
            foreach (var audio in new[] { true, false })
            {
                foreach (var consent in new[] { Consented, null })
                {
                    foreach (var chosen in new CallMode?[] { null, CallMode.Browser, CallMode.Phone })
                    {
                        var s = ModeSelector.Select(new ModeRequest(Prefs(mode, consent: consent), audio, chosen));
                        Assert.False(string.IsNullOrWhiteSpace(s.Reason));
                        Assert.False(s.Mode == CallMode.Browser && !audio, "never a browser call without audio");
                        Assert.False(s.Mode == CallMode.Phone && consent is null, "never a phone call without consent");
                    }
                }
            }
        }
    }
}
