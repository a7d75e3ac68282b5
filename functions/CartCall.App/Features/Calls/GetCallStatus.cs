using CartCall.App.Hosting;

namespace CartCall.App.Features.Calls;

/// <summary><c>GET /api/calls/{callId}</c>: where the call is, for a widget whose socket is down.</summary>
public static class GetCallStatus
{
    public const string Name = nameof(GetCallStatus);

    public static async Task<IResult> HandleAsync(string callId, TableCallStore calls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        return call is null ? Problems.NotFound($"There is no call '{callId}'.") : TypedResults.Ok(CallStatusView.From(call));
    }
}
