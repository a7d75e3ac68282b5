using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// <c>GET /api/calls/{callId}</c> (publishable key): where the call is, for a widget whose socket is down. The call
/// names its merchant, whose allowed origins and publishable key then apply as on every widget route.
/// </summary>
public static class GetCallStatus
{
    public const string Name = nameof(GetCallStatus);

    public static async Task<IResult> HandleAsync(string callId, HttpContext context, TableCallStore calls, IMerchantStore merchants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(calls);
        var (call, merchant, refused) = await ResolveAsync(callId, context, calls, merchants, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var presented = context.Request.Headers[PublishableKeys.Header].ToString();
        if (presented.Length == 0)
        {
            return Problems.Unauthorized($"Send the merchant's publishable key in the {PublishableKeys.Header} header.");
        }

        if (!PublishableKeys.Matches(presented, merchant!.PublishableKey))
        {
            return Problems.Unauthorized($"The {PublishableKeys.Header} header does not hold merchant '{merchant.Id}''s publishable key.");
        }

        return TypedResults.Ok(CallStatusView.From(call!));
    }

    /// <summary>The CORS preflight, answered for the call's merchant's origins.</summary>
    public static async Task<IResult> PreflightAsync(string callId, HttpContext context, TableCallStore calls, IMerchantStore merchants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, _, refused) = await ResolveAsync(callId, context, calls, merchants, cancellationToken).ConfigureAwait(false);
        return refused ?? MerchantCors.Preflight(context);
    }

    private static async Task<(CallRecord? Call, Merchant? Merchant, IResult? Refused)> ResolveAsync(
        string callId, HttpContext context, TableCallStore calls, IMerchantStore merchants, CancellationToken cancellationToken)
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
