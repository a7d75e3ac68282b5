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
/// <see cref="Middleware.MerchantCorsMiddleware"/> applies it to every <see cref="StorefrontApiAttribute"/> function.
/// </summary>
public static class MerchantCors
{
    public const string AllowedMethods = "GET, PUT, POST, DELETE";
    public const string AllowedHeaders = "content-type, " + PublishableKeys.Header;

    /// <summary>How long a browser may cache a preflight answer; short, so an origin removed by the merchant stops working soon.</summary>
    public const int PreflightMaxAgeSeconds = 600;

    /// <summary>
    /// Checks the request's origin against the merchant and, when allowed, adds the CORS response headers.
    /// Returns a 403 problem when the origin is not allowed, else null. Usable from functions that resolve their
    /// merchant in another way than the middleware does (e.g. by call id).
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
            // Says nothing of the merchant: the same words whether it is unknown, or known and this origin is not its.
            return Problems.Forbidden($"Origin not allowed: {origin} is not among the merchant's allowedOrigins.");
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowCredentials = "true";
        return null;
    }

    /// <summary>
    /// The storefront gate, in the order every storefront route applies it: the merchant's origins (CORS), then the
    /// preflight, then (when <paramref name="requireKey"/>) the publishable key. A null <paramref name="merchant"/>
    /// (unknown merchant, offer or call) goes through the same steps as a merchant with no allowed origins and no key,
    /// so it gets exactly the answer a known merchant gives a caller without the right origin or key: nobody can tell
    /// from the answer which merchants, offers or calls exist. Null means admitted (never for an unknown merchant).
    /// </summary>
    public static IResult? Admit(HttpContext context, Merchant? merchant, bool requireKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        var subject = merchant ?? Merchant.Unknown();
        if (Apply(context, subject) is { } forbidden)
        {
            return forbidden;
        }

        if (HttpMethods.IsOptions(context.Request.Method))
        {
            return Preflight(context);
        }

        if ((requireKey || merchant is null) && PublishableKeys.Check(context.Request, subject) is { } unauthorized)
        {
            return unauthorized;
        }

        return merchant is null ? PublishableKeys.Refused() : null;
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
/// What <see cref="Middleware.MerchantCorsMiddleware"/> found out about a browser request: its merchant and, on offer routes,
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

