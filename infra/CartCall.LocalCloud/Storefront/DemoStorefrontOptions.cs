using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Storefront;

/// <summary>Settings of the demo store: where CartCall is, and the merchant credentials a real storefront would hold.</summary>
public sealed class DemoStorefrontOptions
{
    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The CartCall app, e.g. <c>http://127.0.0.1:7071</c>: cart events go to its webhook, the widget comes from it.</summary>
    public Uri? AppBaseUrl { get; set; }

    public string MerchantId { get; set; } = "";

    /// <summary>The merchant's webhook signing secret (server side only; never reaches a page).</summary>
    public string SigningSecret { get; set; } = "";

    /// <summary>The merchant's publishable key, embedded in every page for the widget.</summary>
    public string PublishableKey { get; set; } = "";

    /// <summary>Must match the merchant's currency, or CartCall refuses the events.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>The shopper's language the widget is told (en, de, fr, es).</summary>
    public string Language { get; set; } = "en";

    /// <summary>False: the widget's browser calls turn echo cancellation, noise suppression and gain control off (tone tests).</summary>
    public bool VoiceProcessing { get; set; } = true;

    /// <summary>Where pages load the widget from; null means <c>{AppBaseUrl}/api/widget.js</c>.</summary>
    public Uri? WidgetUrl { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the store logs; null keeps it quiet.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535)
        {
            problems.Add("Port must be 0 (free port) or 1-65535.");
        }

        if (AppBaseUrl is null || !AppBaseUrl.IsAbsoluteUri || AppBaseUrl.Scheme is not ("http" or "https"))
        {
            problems.Add("AppBaseUrl must be an absolute http(s) URL of the CartCall app.");
        }

        if (WidgetUrl is not null && (!WidgetUrl.IsAbsoluteUri || WidgetUrl.Scheme is not ("http" or "https")))
        {
            problems.Add("WidgetUrl, when set, must be an absolute http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(MerchantId) || MerchantId.Any(c => c is '/' or '?' or '#' || char.IsControl(c)))
        {
            problems.Add("MerchantId is required and must not contain / ? # or control characters.");
        }

        if (string.IsNullOrEmpty(SigningSecret))
        {
            problems.Add("SigningSecret is required: CartCall refuses unsigned cart events.");
        }

        if (string.IsNullOrEmpty(PublishableKey) || !PublishableKey.StartsWith("pk_", StringComparison.Ordinal))
        {
            problems.Add("PublishableKey is required and starts with pk_.");
        }

        if (Currency is not { Length: 3 } || !Currency.All(char.IsAsciiLetterUpper))
        {
            problems.Add("Currency must be a three-letter upper-case ISO 4217 code.");
        }

        if (string.IsNullOrWhiteSpace(Language))
        {
            problems.Add("Language is required (e.g. en).");
        }

        if (TimeProvider is null)
        {
            problems.Add("TimeProvider is required.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("The demo storefront options are not valid: " + string.Join(" ", problems));
        }
    }

    internal Uri ResolvedWidgetUrl => WidgetUrl ?? new Uri(AppBaseUrl!, "api/widget.js");
}
