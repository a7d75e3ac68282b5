using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;

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
    [Problems(401, 403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "calls/{callId}")] HttpRequest request,
        string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = request.HttpContext;
        var (call, merchant, refused) = await ResolveAsync(callId, context, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        // The CORS preflight, answered for the call's merchant's origins.
        if (HttpMethods.IsOptions(request.Method))
        {
            return MerchantCors.Preflight(context);
        }

        if (PublishableKeys.Check(request, merchant!) is { } unauthorized)
        {
            return unauthorized;
        }

        return TypedResults.Ok(CallStatusView.From(call!));
    }

    private async Task<(CallRecord? Call, Merchant? Merchant, IResult? Refused)> ResolveAsync(
        string callId, HttpContext context, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        var merchant = call is null ? null : await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false);
        if (call is null || merchant is null)
        {
            return (null, null, Problems.NotFound($"There is no call '{callId}'."));
        }

        return (call, merchant, MerchantCors.Apply(context, merchant));
    }
}
