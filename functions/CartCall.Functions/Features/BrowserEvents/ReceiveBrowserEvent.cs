using System.Globalization;
using System.Net;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.BrowserEvents;

/// <summary>
/// <c>POST /api/merchants/{merchantId}/browser-events</c> (publishable key, allowed origin): the widget's cart event.
/// Same body and pipeline as the signed webhook, but unsigned, so it must come from one of the merchant's pages and
/// is rate limited per session and per client address.
/// </summary>
public static class ReceiveBrowserEvent
{
    public const string Name = nameof(ReceiveBrowserEvent);

    public static async Task<IResult> HandleAsync(
        string merchantId, HttpRequest request, SessionEvaluator evaluator, FixedWindowRateLimiter limiter, IOptions<BrowserEventOptions> options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(options);
        var widget = WidgetRequest.From(request.HttpContext)!;
        if (widget.Origin is null)
        {
            return Problems.Forbidden("Browser events must come from one of the merchant's pages: the request has no Origin.");
        }

        var merchant = widget.Merchant;
        var o = options.Value;
        if (limiter.TryAcquire($"a|{merchant.Id}|{ClientAddress(request.HttpContext)}", o.PerAddressLimit) is { } addressWait)
        {
            return TooMany(request, addressWait, "this client address");
        }

        var (message, _, problem) = await JsonBody.ReadAsync<CartEventMessage>(request, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (cartEvent, problems) = CartEventMapper.ToDomain(message!, merchant.Currency);
        if (cartEvent is null)
        {
            return Problems.BadRequest("The cart event is not valid.", problems);
        }

        if (limiter.TryAcquire($"s|{merchant.Id}|{cartEvent.SessionId}", o.PerSessionLimit) is { } sessionWait)
        {
            return TooMany(request, sessionWait, $"session '{cartEvent.SessionId}'");
        }

        var result = await evaluator.IngestAsync(merchant, cartEvent, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted((string?)null, CartEventAccepted.From(cartEvent.EventId, result));
    }

    /// <summary>
    /// The shopper's address. Behind the Functions host (or a test server) the peer is the host on loopback, so the
    /// first X-Forwarded-For entry it passes on is the browser; from any other peer the header is not trusted.
    /// </summary>
    internal static string ClientAddress(HttpContext context)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (peer is null || IPAddress.IsLoopback(peer))
        {
            var forwarded = context.Request.Headers["X-Forwarded-For"].ToString().Split(',')[0].Trim();
            if (IPAddress.TryParse(forwarded, out var client))
            {
                return client.ToString();
            }
        }

        return peer?.ToString() ?? "unknown";
    }

    private static IResult TooMany(HttpRequest request, TimeSpan wait, string who)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.TooManyRequests(string.Create(CultureInfo.InvariantCulture, $"Too many browser events from {who}; retry after {seconds} s."));
    }
}

public static class BrowserEventsFeature
{
    public static IServiceCollection AddBrowserEvents(this IServiceCollection services)
    {
        services.AddOptions<BrowserEventOptions>().BindConfiguration(BrowserEventOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<FixedWindowRateLimiter>();
        return services;
    }

    public static IEndpointRouteBuilder MapBrowserEvents(this IEndpointRouteBuilder app)
    {
        const string route = "/api/merchants/{merchantId}/browser-events";
        app.MapPost(route, ReceiveBrowserEvent.HandleAsync).WithWidgetAuth().AsFunction(ReceiveBrowserEvent.Name).WithTags("Widget")
            .Accepts<CartEventMessage>("application/json").Produces<CartEventAccepted>(202)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(429);
        app.MapMerchantPreflight(route, ReceiveBrowserEvent.Name);
        return app;
    }
}
