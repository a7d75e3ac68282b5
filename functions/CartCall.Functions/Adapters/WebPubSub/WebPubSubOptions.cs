using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.WebPubSub;

/// <summary>
/// Where the app's Web PubSub lives: either <see cref="ConnectionString"/> (the portal's
/// <c>Endpoint=...;AccessKey=...;Version=1.0;</c>) or <see cref="Endpoint"/> with <see cref="AccessKey"/>; and the hub.
/// </summary>
public sealed partial class WebPubSubOptions
{
    public const string SectionName = "CartCall:WebPubSub";

    public string? ConnectionString { get; set; }

    public Uri? Endpoint { get; set; }

    public string? AccessKey { get; set; }

    public string Hub { get; set; } = "";

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_`,.[\]]{0,127}$")]
    internal static partial Regex HubNamePattern();

    /// <summary>The endpoint (no trailing slash) and key these options name; throws with the reason when they name none.</summary>
    internal (Uri Endpoint, string AccessKey) Resolve()
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (hasConnectionString == (Endpoint is not null || !string.IsNullOrEmpty(AccessKey)))
        {
            throw new FormatException("Set either WebPubSub:ConnectionString, or WebPubSub:Endpoint with WebPubSub:AccessKey, not both or neither.");
        }

        Uri? endpoint = Endpoint;
        var key = AccessKey;
        if (hasConnectionString)
        {
            (endpoint, key) = ParseConnectionString(ConnectionString!);
        }

        if (endpoint is null || !endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException("The Web PubSub endpoint must be an absolute http(s) URL.");
        }

        if (string.IsNullOrEmpty(key))
        {
            throw new FormatException("The Web PubSub access key is missing.");
        }

        return (new Uri(endpoint.GetLeftPart(UriPartial.Authority)), key);
    }

    // Same reading as the SDKs: ';'-separated key=value pairs, keys case-insensitive, an optional Port overriding the endpoint's.
    private static (Uri? Endpoint, string? AccessKey) ParseConnectionString(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Endpoint", out var endpointText) || !Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint))
        {
            throw new FormatException("The Web PubSub connection string has no valid Endpoint.");
        }

        if (parts.TryGetValue("Port", out var portText))
        {
            if (!int.TryParse(portText, out var port) || port is < 1 or > 65535)
            {
                throw new FormatException("The Web PubSub connection string has an invalid Port.");
            }

            endpoint = new UriBuilder(endpoint) { Port = port }.Uri;
        }

        return (endpoint, parts.GetValueOrDefault("AccessKey"));
    }
}

/// <summary>Checks <see cref="WebPubSubOptions"/> at start-up, so a wrong setting stops the app instead of the first push.</summary>
public sealed class WebPubSubOptionsValidator : IValidateOptions<WebPubSubOptions>
{
    public ValidateOptionsResult Validate(string? name, WebPubSubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        try
        {
            options.Resolve();
        }
        catch (FormatException e)
        {
            failures.Add(e.Message);
        }

        if (!WebPubSubOptions.HubNamePattern().IsMatch(options.Hub ?? ""))
        {
            failures.Add($"WebPubSub:Hub '{options.Hub}' must match ^[A-Za-z][A-Za-z0-9_`,.[\\]]{{0,127}}$.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
