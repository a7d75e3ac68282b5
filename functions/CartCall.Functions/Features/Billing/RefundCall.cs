using CartCall.Domain.Billing;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Billing;

/// <summary>A refund of part of a paid call; <c>refundId</c> is the caller's (a support ticket), so a retry refunds once.</summary>
public sealed record RefundRequest(string? RefundId, long? AmountMinor, string? Currency);

/// <summary>
/// <c>POST /api/merchants/{merchantId}/calls/{callId}/refunds</c> (admin): gives part of a captured shopper payment
/// back. More than was captured (less what was refunded), another currency, or a call without a capture is a 400 that
/// refunds and posts nothing.
/// </summary>
public sealed class RefundCall(IShopperHoldStore holds, BillingService billing)
{
    [Function(nameof(RefundCall))]
    [AdminApi]
    [ApiTag("Billing")]
    [RequestBody(typeof(RefundRequest))]
    [Response(200, typeof(RefundResult))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/calls/{callId}/refunds")] HttpRequest request,
        string merchantId, string callId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (body, _, problem) = await JsonBody.ReadAsync<RefundRequest>(request, 8 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var problems = new List<string>();
        var (currency, currencyProblem) = Currency.Parse(body!.Currency);
        if (currencyProblem is not null) problems.Add(currencyProblem);
        if (body.AmountMinor is not > 0) problems.Add("amountMinor must be a positive whole number of minor units.");
        if (string.IsNullOrWhiteSpace(body.RefundId)) problems.Add("refundId is required.");
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The refund is not valid.", problems);
        }

        var hold = await holds.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (hold is null || hold.MerchantId != merchantId)
        {
            return Problems.NotFound($"Merchant '{merchantId}' has no paid call '{callId}'.");
        }

        var result = await billing.RefundAsync(callId, new Money(body.AmountMinor!.Value, currency), body.RefundId!, cancellationToken).ConfigureAwait(false);
        return result.Ok ? TypedResults.Ok(result) : Problems.BadRequest("The refund was refused; nothing was refunded.", result.Problems);
    }
}
