using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Where ACS posts a call's events: <c>{base}/api/calls/{callId}/events</c>. The base is
/// <see cref="CallsOptions.PublicBaseUrl"/>; else, in App Service, <c>https://{WEBSITE_HOSTNAME}</c>; else the
/// address this app listens on (local runs, where the ACS stand-in is on the same machine).
/// </summary>
public sealed class CallbackUrls(IOptions<CallsOptions> options, IServer server)
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
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses
                .Select(a => Uri.TryCreate(a.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal)
                    .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var u) ? u : null)
                .FirstOrDefault(u => u is not null && u.Scheme == Uri.UriSchemeHttp)
                ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).FirstOrDefault();
            if (address is null)
            {
                throw new InvalidOperationException("Set CartCall:Calls:PublicBaseUrl: the app has no listening address ACS could call back.");
            }

            found = address;
            // The address is known only once the server started; don't cache a guess before then.
            resolved = new Uri(found.GetLeftPart(UriPartial.Authority) + "/");
            return resolved;
        }

        resolved = new Uri(found.AbsoluteUri.TrimEnd('/') + "/");
        return resolved;
    }
}
