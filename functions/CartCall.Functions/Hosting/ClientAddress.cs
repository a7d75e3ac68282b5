namespace CartCall.Functions.Hosting;

/// <summary>
/// The one rule for "which client is this" wherever a limit counts clients (browser events, accepts): the hop the
/// platform's front end added. It appends the caller's address last to <c>X-Forwarded-For</c>, and the worker's
/// ASP.NET Core integration applies that hop (its forwarded-headers middleware, one hop from the trusted loopback
/// proxy) to <see cref="ConnectionInfo.RemoteIpAddress"/>. Earlier hops are whatever the client claimed, so the
/// header itself is never read here.
/// </summary>
public static class ClientAddress
{
    /// <summary>The client's address, or null when the connection has none (an in-memory test server).</summary>
    public static string? Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return null;
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
