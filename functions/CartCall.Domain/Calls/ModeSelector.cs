using CartCall.Domain.Preferences;

namespace CartCall.Domain.Calls;

/// <param name="Prefs">Stored preferences; null for a shopper we know nothing about.</param>
/// <param name="BrowserCanDoAudio">The widget reported a microphone and WebRTC support.</param>
/// <param name="ChosenByShopper">What the shopper picked in the offer, which beats stored preferences.</param>
public sealed record ModeRequest(ShopperPreferences? Prefs, bool BrowserCanDoAudio, CallMode? ChosenByShopper);

/// <param name="Mode">How to call; null means ask the shopper.</param>
/// <param name="Reason">Why, including any fallback taken (for logs and the widget).</param>
public sealed record ModeSelection(CallMode? Mode, string Reason)
{
    public bool MustAsk => Mode is null;
}

/// <summary>Picks browser (VoIP) or phone (PSTN) from what the shopper wants and what is possible.</summary>
public static class ModeSelector
{
    public static ModeSelection Select(ModeRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var canPhone = r.Prefs?.CanBePhoned ?? false;
        var phoneMissing = r.Prefs is null || string.IsNullOrWhiteSpace(r.Prefs.PhoneE164)
            ? "no phone number is on file"
            : "there is no consent to phone the number on file";

        CallMode? wanted;
        string source;
        if (r.ChosenByShopper is { } chosen)
        {
            wanted = chosen;
            source = "chosen by the shopper";
        }
        else if (r.Prefs is { } prefs)
        {
            wanted = prefs.Mode switch
            {
                PreferredMode.Browser => CallMode.Browser,
                PreferredMode.Phone => CallMode.Phone,
                _ => null,
            };
            source = "preferred";
        }
        else
        {
            wanted = null;
            source = "no preference";
        }

        switch (wanted)
        {
            case CallMode.Browser when r.BrowserCanDoAudio:
                return new(CallMode.Browser, $"Browser call {source}.");
            case CallMode.Browser when canPhone:
                return new(CallMode.Phone, $"Browser call {source} but the browser cannot do audio; phoning the number on file instead.");
            case CallMode.Browser:
                return new(null, $"Browser call {source} but the browser cannot do audio and {phoneMissing}; ask the shopper.");
            case CallMode.Phone when canPhone:
                return new(CallMode.Phone, $"Phone call {source}.");
            case CallMode.Phone when r.BrowserCanDoAudio:
                return new(CallMode.Browser, $"Phone call {source} but {phoneMissing}; calling in the browser instead.");
            case CallMode.Phone:
                return new(null, $"Phone call {source} but {phoneMissing} and the browser cannot do audio; ask the shopper.");
        }

        // Nothing wanted: the shopper asked to be asked, or we know nothing about them.
        if (r.Prefs is { Mode: PreferredMode.Ask })
        {
            return new(null, "The shopper prefers to be asked each time.");
        }

        if (r.BrowserCanDoAudio && !canPhone)
        {
            return new(CallMode.Browser, "No preference; the browser can do audio and no phone number is usable.");
        }

        return canPhone
            ? new(null, "No preference and both browser and phone are possible; ask the shopper.")
            : new(null, $"No preference, the browser cannot do audio and {phoneMissing}; ask the shopper.");
    }
}
