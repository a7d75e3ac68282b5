using System.ComponentModel.DataAnnotations;
using CartCall.Functions.Adapters.Acs;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>Which calling adapter the widget and the agent workspace use for a browser call.</summary>
public enum CallingAdapter
{
    /// <summary>Microsoft's Calling SDK against the ACS resource (production).</summary>
    Acs,

    /// <summary>WebRTC on loopback, signalled by the ACS stand-in's calling WebSocket (local runs and tests).</summary>
    Local,
}

/// <summary>How browser calls are carried. Bound from <c>CartCall:Calling</c>; Azure keeps the default (<c>acs</c>).</summary>
public sealed class CallingOptions : IValidatableObject
{
    public const string Section = "CartCall:Calling";

    public CallingAdapter Adapter { get; set; } = CallingAdapter.Acs;

    /// <summary>
    /// For <see cref="CallingAdapter.Local"/>: the ACS stand-in's calling WebSocket. Null: <c>/calling/signaling</c> on
    /// the ACS endpoint the app already talks to (its connection string), which is where the stand-in serves it.
    /// </summary>
    public Uri? SignalingUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SignalingUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != "ws" && url.Scheme != "wss")))
        {
            yield return new ValidationResult("Calling:SignalingUrl must be an absolute ws:// or wss:// URL.", [nameof(SignalingUrl)]);
        }
    }
}

/// <summary>What a page needs to take a browser call: the adapter, and for the local one where it signals.</summary>
/// <param name="Adapter">acs or local.</param>
/// <param name="SignalingUrl">The stand-in's calling WebSocket (local only).</param>
public sealed record CallingView(CallingAdapter Adapter, Uri? SignalingUrl);

/// <summary>Tells the widget and the agent workspace how to carry a browser call, from <see cref="CallingOptions"/>.</summary>
public sealed class BrowserCalling(IOptions<CallingOptions> options, IOptions<AcsOptions> acs)
{
    public const string SignalingPath = "/calling/signaling";

    private readonly Lazy<CallingView> view = new(() => Build(options.Value, acs.Value));

    public CallingView View => view.Value;

    private static CallingView Build(CallingOptions calling, AcsOptions acs)
    {
        if (calling.Adapter == CallingAdapter.Acs)
        {
            return new CallingView(CallingAdapter.Acs, null);
        }

        if (calling.SignalingUrl is { } explicitUrl)
        {
            return new CallingView(CallingAdapter.Local, explicitUrl);
        }

        var endpoint = acs.ResolveEndpoint();
        var socket = new UriBuilder(endpoint) { Scheme = endpoint.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Path = SignalingPath, Query = "" };
        return new CallingView(CallingAdapter.Local, socket.Uri);
    }
}
