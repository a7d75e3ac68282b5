using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// <c>GET /api/calls/{callId}</c> (publishable key): where the call is, for a widget whose socket is down. The call
/// names its merchant, whose allowed origins and publishable key then apply as on every widget route.
/// </summary>
public sealed class GetCallStatus(TableCallStore calls, IMerchantStore merchants)
{
    [Function(nameof(GetCallStatus))]
    [ApiTag("Calls")]
    [Response(200, typeof(CallStatusView))]
    [Problems(401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "calls/{callId}")] HttpRequest request,
        string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = TableKeys.IsValid(callId) ? await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false) : null;
        var merchant = call is null ? null : await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false);

        // An unknown call meets the same gate as a known one whose merchant's origin or key the caller lacks, and gets
        // the same answer: nobody learns which call ids exist.
        var refused = MerchantCors.Admit(request.HttpContext, merchant, requireKey: true);
        return refused ?? TypedResults.Ok(CallStatusView.From(call!));
    }
}
