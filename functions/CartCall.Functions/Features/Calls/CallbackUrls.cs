using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Where ACS posts a call's events: <c>{base}/api/calls/{callId}/events</c>. The base is
/// <see cref="CallsOptions.PublicBaseUrl"/>; else, in App Service, <c>https://{WEBSITE_HOSTNAME}</c>. Locally the
/// launcher sets PublicBaseUrl to the local Functions host, since the worker's own listener is not the app's address.
/// </summary>
public sealed class CallbackUrls(IOptions<CallsOptions> options)
{
    private Uri? resolved;

    public Uri ForCall(string callId) => new(Base(), $"api/calls/{Uri.EscapeDataString(callId)}/events");

    public Uri Base()
    {
        if (resolved is not null)
        {
            return resolved;
        }

        Uri? found = options.Value.PublicBaseUrl;
        if (found is null && Environment.GetEnvironmentVariable("WEBSITE_HOSTNAME") is { Length: > 0 } host)
        {
            found = new Uri("https://" + host);
        }

        if (found is null)
        {
            throw new InvalidOperationException("Set CartCall:Calls:PublicBaseUrl (or run where WEBSITE_HOSTNAME is set): ACS needs an address to call back.");
        }

        resolved = new Uri(found.AbsoluteUri.TrimEnd('/') + "/");
        return resolved;
    }
}
