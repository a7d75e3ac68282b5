using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace CartCall.Functions.Hosting.Cors;

/// <summary>
/// Per-merchant CORS for the browser-facing routes: the merchant's <see cref="Merchant.AllowedOrigins"/> is the
/// allow-list (exact match of <c>Origin</c>). A request from an allowed origin gets the CORS headers (with
/// credentials, so the preference cookie flows); any other origin gets a 403 problem. A request without
/// <c>Origin</c> is not a cross-origin browser request and passes without headers; endpoints that must come from
/// a storefront page check <see cref="WidgetRequest.Origin"/> themselves.
/// </summary>
public static class MerchantCors
{
    public const string AllowedMethods = "GET, PUT, POST, DELETE";
    public const string AllowedHeaders = "content-type, " + PublishableKeys.Header;

    /// <summary>How long a browser may cache a preflight answer; short, so an origin removed by the merchant stops working soon.</summary>
    public const int PreflightMaxAgeSeconds = 600;

    /// <summary>
    /// Checks the request's origin against the merchant and, when allowed, adds the CORS response headers.
    /// Returns a 403 problem when the origin is not allowed, else null. Usable from handlers that resolve their
    /// merchant in another way than <see cref="MerchantCorsFilter"/> does (e.g. by call id).
    /// </summary>
    public static ProblemHttpResult? Apply(HttpContext context, Merchant merchant)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(merchant);
        var origin = context.Request.Headers.Origin.ToString();
        // Caches must not serve one origin's answer to another.
        context.Response.Headers.Append(HeaderNames.Vary, HeaderNames.Origin);
        if (origin.Length == 0)
        {
            return null;
        }

        if (!merchant.AllowedOrigins.Contains(origin, StringComparer.Ordinal))
        {
            return Problems.Forbidden($"Origin not allowed: {origin} is not among merchant '{merchant.Id}''s allowedOrigins.");
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowCredentials = "true";
        return null;
    }

    /// <summary>The preflight answer for an allowed origin: 204 with the methods and headers the widget uses.</summary>
    public static IResult Preflight(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Response.Headers;
        if (context.Request.Headers.Origin.Count > 0)
        {
            headers.AccessControlAllowMethods = AllowedMethods;
            headers.AccessControlAllowHeaders = AllowedHeaders;
            headers.AccessControlMaxAge = PreflightMaxAgeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        headers.Allow = "OPTIONS, " + AllowedMethods;
        return TypedResults.NoContent();
    }
}

/// <summary>
/// What <see cref="MerchantCorsFilter"/> found out about a browser request: its merchant and, on offer routes,
/// the offer. Handlers take it from <see cref="From"/> rather than loading them again.
/// </summary>
public sealed class WidgetRequest
{
    private static readonly object Key = new();

    public required Merchant Merchant { get; init; }

    /// <summary>The offer named by the route's <c>{offerId}</c>, when there is one.</summary>
    public OfferRecord? Offer { get; init; }

    /// <summary>The request's <c>Origin</c> (already checked against the merchant), or null when it had none.</summary>
    public string? Origin { get; init; }

    public static WidgetRequest? From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(Key, out var value) ? value as WidgetRequest : null;
    }

    internal void Attach(HttpContext context) => context.Items[Key] = this;
}

/// <summary>
/// Resolves the merchant of a browser-facing route (from <c>{merchantId}</c>, or from the offer named by
/// <c>{offerId}</c>), applies <see cref="MerchantCors"/>, answers preflights, and leaves a <see cref="WidgetRequest"/>
/// for the handler.
/// </summary>
public sealed class MerchantCorsFilter(IMerchantStore merchants, TableOfferStore offers) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var ct = http.RequestAborted;
        var values = http.Request.RouteValues;

        OfferRecord? offer = null;
        string? merchantId = values.TryGetValue("merchantId", out var m) ? m as string : null;
        if (merchantId is null && values.TryGetValue("offerId", out var o) && o is string offerId)
        {
            offer = await offers.GetAsync(offerId, ct).ConfigureAwait(false);
            if (offer is null)
            {
                return Problems.NotFound($"There is no offer '{offerId}'.");
            }

            merchantId = offer.Offer.MerchantId;
        }

        if (merchantId is null)
        {
            return await next(context).ConfigureAwait(false);
        }

        var merchant = await merchants.GetAsync(merchantId, ct).ConfigureAwait(false);
        if (merchant is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var refused = MerchantCors.Apply(http, merchant);
        if (refused is not null)
        {
            return refused;
        }

        if (HttpMethods.IsOptions(http.Request.Method))
        {
            return MerchantCors.Preflight(http);
        }

        var origin = http.Request.Headers.Origin.ToString();
        new WidgetRequest { Merchant = merchant, Offer = offer, Origin = origin.Length == 0 ? null : origin }.Attach(http);
        return await next(context).ConfigureAwait(false);
    }
}

/// <summary>Requires the merchant's publishable key in <c>x-cartcall-publishable-key</c>. Runs after <see cref="MerchantCorsFilter"/>.</summary>
public sealed class PublishableKeyFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var widget = WidgetRequest.From(context.HttpContext)
            ?? throw new InvalidOperationException($"{nameof(PublishableKeyFilter)} needs {nameof(MerchantCorsFilter)} before it.");
        var presented = context.HttpContext.Request.Headers[PublishableKeys.Header].ToString();
        if (presented.Length == 0)
        {
            return Problems.Unauthorized($"Send the merchant's publishable key in the {PublishableKeys.Header} header.");
        }

        if (!PublishableKeys.Matches(presented, widget.Merchant.PublishableKey))
        {
            return Problems.Unauthorized($"The {PublishableKeys.Header} header does not hold merchant '{widget.Merchant.Id}''s publishable key.");
        }

        return await next(context).ConfigureAwait(false);
    }
}

public static class MerchantCorsExtensions
{
    /// <summary>Per-merchant CORS (see <see cref="MerchantCorsFilter"/>).</summary>
    public static TBuilder WithMerchantCors<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, MerchantCorsFilter>();

    /// <summary>Per-merchant CORS plus the publishable key.</summary>
    public static TBuilder WithWidgetAuth<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, MerchantCorsFilter>().AddEndpointFilter<TBuilder, PublishableKeyFilter>();

    /// <summary>Maps the CORS preflight of <paramref name="pattern"/> as part of function <paramref name="function"/>.</summary>
    public static RouteHandlerBuilder MapMerchantPreflight(this IEndpointRouteBuilder app, string pattern, string function)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapMethods(pattern, [HttpMethods.Options], (HttpContext context) => MerchantCors.Preflight(context))
            .WithMerchantCors()
            .AsFunction(function, function + "Preflight")
            .ExcludeFromDescription();
    }
}
