using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// <c>GET /api/merchants/{merchantId}/calls?status=active|all</c> (admin key): the merchant's calls with their cart
/// context, newest first — the agent console's list and its fallback when the push socket is down.
/// </summary>
public sealed class ListMerchantCalls(IMerchantStore merchants, TableCallStore calls)
{
    [Function(nameof(ListMerchantCalls))]
    [AdminApi]
    [ApiTag("Agent console")]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/calls")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var status = Query.Text(request, "status");
        var (max, badMax) = Query.OptionalInt(request, "max");
        if (badMax is not null)
        {
            return badMax;
        }

        if (status is not (null or "active" or "all"))
        {
            return Problems.BadRequest("status must be active or all.");
        }

        if (max is < 1 or > 500)
        {
            return Problems.BadRequest("max must be between 1 and 500.");
        }

        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var list = await calls.ListForMerchantAsync(merchantId, activeOnly: status != "all", max ?? 100, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new { calls = list.Select(c => AgentCallView.From(c)).ToList() });
    }
}
