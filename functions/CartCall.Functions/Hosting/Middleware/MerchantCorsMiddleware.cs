using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting.Cors;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace CartCall.Functions.Hosting.Middleware;

/// <summary>
/// The storefront-facing functions' gate, in one place: resolves the merchant (from <c>{merchantId}</c>, or from the
/// offer <c>{offerId}</c> names), applies the merchant's CORS rules, answers preflights, requires the publishable key
/// where the function asks for it, and leaves a <see cref="WidgetRequest"/> for the function.
/// </summary>
public sealed class MerchantCorsMiddleware(IMerchantStore merchants, TableOfferStore offers) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var storefront = FunctionAttributes.Get<StorefrontApiAttribute>(context);
        if (storefront is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var http = FunctionAttributes.Http(context);
        var refused = await AdmitAsync(context, http, storefront, context.CancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            FunctionAttributes.Answer(context, refused);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task<IResult?> AdmitAsync(FunctionContext context, HttpContext http, StorefrontApiAttribute storefront, CancellationToken ct)
    {
        var route = context.BindingContext.BindingData;
        OfferRecord? offer = null;
        var merchantId = route.TryGetValue("merchantId", out var m) ? m as string : null;
        if (merchantId is null && route.TryGetValue("offerId", out var o) && o is string offerId)
        {
            // An unknown offer names no merchant: it then meets the gate as an unknown merchant does.
            offer = await offers.GetAsync(offerId, ct).ConfigureAwait(false);
            merchantId = offer?.Offer.MerchantId;
        }
        else if (merchantId is null)
        {
            throw new InvalidOperationException($"{context.FunctionDefinition.Name} is a storefront function but its route names neither a merchant nor an offer.");
        }

        var merchant = merchantId is null ? null : await merchants.GetAsync(merchantId, ct).ConfigureAwait(false);
        var refused = MerchantCors.Admit(http, merchant, storefront.RequirePublishableKey);
        if (refused is not null)
        {
            return refused;
        }

        var origin = http.Request.Headers.Origin.ToString();
        new WidgetRequest { Merchant = merchant!, Offer = offer, Origin = origin.Length == 0 ? null : origin }.Attach(http);
        return null;
    }
}
