using System.Net;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>Settings for Azure Communication Services (Call Automation + Identity), section <c>Acs</c>.</summary>
public sealed class AcsOptions
{
    public const string SectionName = "CartCall:Acs";

    /// <summary>The Entra scope ACS accepts; the double slash is what the service expects.</summary>
    public const string EntraScope = "https://communication.azure.com//.default";

    public const string ProductionCallbackIssuer = "https://acscallautomation.communication.azure.com";

    public static readonly Uri ProductionOpenIdConfigurationUri =
        new("https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration");

    /// <summary><c>endpoint=https://x.communication.azure.com/;accesskey=base64</c>. Takes precedence over <see cref="Endpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Resource endpoint used with an Entra identity when no connection string is given.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means DefaultAzureCredential.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Call Automation api-version (newest GA when written).</summary>
    public string ApiVersion { get; set; } = "2025-06-15";

    /// <summary>Identity api-version.</summary>
    public string IdentityApiVersion { get; set; } = "2023-10-01";

    /// <summary>Transient-failure retries (408, 429, 5xx, network) per request.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; Azure.Core backs off exponentially from it.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Per-attempt network timeout.</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Expected <c>iss</c> of callback JWTs.</summary>
    public string CallbackIssuer { get; set; } = ProductionCallbackIssuer;

    /// <summary>
    /// Expected <c>aud</c> of callback JWTs: the ACS resource's immutable resource id (a GUID). Named as the Bicep app
    /// setting <c>CartCall__Acs__ImmutableResourceId</c> names it, so the deployed setting binds.
    /// </summary>
    public string? ImmutableResourceId { get; set; }

    /// <summary>The resource's default PSTN caller id (E.164), used when a merchant has no number of its own.</summary>
    public string? SourcePhoneNumber { get; set; }

    /// <summary>Where the callback signing keys are published (OpenID configuration document).</summary>
    public Uri OpenIdConfigurationUri { get; set; } = ProductionOpenIdConfigurationUri;

    internal AcsConnectionString? ParsedConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) ? null : AcsConnectionString.Parse(ConnectionString);

    /// <summary>The endpoint from the connection string or <see cref="Endpoint"/>.</summary>
    public Uri ResolveEndpoint() =>
        ParsedConnectionString?.Endpoint ?? Endpoint ?? throw new InvalidOperationException("Acs: neither ConnectionString nor Endpoint is set.");

    internal static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>A parsed ACS connection string.</summary>
public sealed record AcsConnectionString(Uri Endpoint, string AccessKey)
{
    public static AcsConnectionString Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        string? endpoint = null, key = null;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException("ACS connection string parts must be name=value.");
            var name = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (name.Equals("endpoint", StringComparison.OrdinalIgnoreCase)) endpoint = value;
            else if (name.Equals("accesskey", StringComparison.OrdinalIgnoreCase)) key = value;
        }

        if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            throw new FormatException("ACS connection string needs endpoint=<absolute http(s) URL>.");
        if (string.IsNullOrEmpty(key)) throw new FormatException("ACS connection string needs accesskey=<base64>.");
        try { _ = Convert.FromBase64String(key); }
        catch (FormatException) { throw new FormatException("ACS access key is not base64."); }
        return new AcsConnectionString(uri, key);
    }

    public override string ToString() => $"endpoint={Endpoint.AbsoluteUri};accesskey={AccessKey}";
}

/// <summary>Checks <see cref="AcsOptions"/> at start-up so a bad setting fails the host, not the first call.</summary>
public sealed class AcsOptionsValidator : IValidateOptions<AcsOptions>
{
    public ValidateOptionsResult Validate(string? name, AcsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try { _ = AcsConnectionString.Parse(options.ConnectionString); }
            catch (FormatException e) { failures.Add($"Acs:ConnectionString is invalid: {e.Message}"); }
        }
        else if (options.Endpoint is null)
        {
            failures.Add("Acs: set ConnectionString or Endpoint (managed identity).");
        }
        else if (!options.Endpoint.IsAbsoluteUri || options.Endpoint.Scheme != Uri.UriSchemeHttps)
        {
            // Bearer tokens are never sent over plain http, so an Entra endpoint must be https.
            failures.Add("Acs:Endpoint must be an absolute https URL when using managed identity.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiVersion)) failures.Add("Acs:ApiVersion is required.");
        if (string.IsNullOrWhiteSpace(options.IdentityApiVersion)) failures.Add("Acs:IdentityApiVersion is required.");
        if (options.MaxRetries is < 0 or > 10) failures.Add("Acs:MaxRetries must be 0..10.");
        if (options.RetryDelay < TimeSpan.Zero || options.RetryDelay > TimeSpan.FromMinutes(1)) failures.Add("Acs:RetryDelay must be 0..60s.");
        if (options.NetworkTimeout <= TimeSpan.Zero) failures.Add("Acs:NetworkTimeout must be positive.");
        if (string.IsNullOrWhiteSpace(options.CallbackIssuer)) failures.Add("Acs:CallbackIssuer is required.");
        if (string.IsNullOrWhiteSpace(options.ImmutableResourceId)) failures.Add("Acs:ImmutableResourceId (the ACS immutable resource id) is required.");
        if (!options.OpenIdConfigurationUri.IsAbsoluteUri) failures.Add("Acs:OpenIdConfigurationUri must be absolute.");
        else if (options.OpenIdConfigurationUri.Scheme != Uri.UriSchemeHttps && !AcsOptions.IsLoopback(options.OpenIdConfigurationUri))
            failures.Add("Acs:OpenIdConfigurationUri must be https unless it is on loopback.");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
