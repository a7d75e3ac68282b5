using CartCall.Functions.Features.OpenApi;
using System.Globalization;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.BrowserEvents;

/// <summary>
/// <c>POST /api/merchants/{merchantId}/browser-events</c> (publishable key, allowed origin): the widget's cart event.
/// Same body and pipeline as the signed webhook, but unsigned, so it must come from one of the merchant's pages and
/// is rate limited per session and per client address (the hop the platform added: <see cref="ClientAddress"/>).
/// </summary>
public sealed class ReceiveBrowserEvent(SessionEvaluator evaluator, BrowserEventLimiter limiter, IOptions<BrowserEventOptions> options, TimeProvider time)
{
    [Function(nameof(ReceiveBrowserEvent))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Widget")]
    [RequestBody(typeof(CartEventMessage))]
    [Response(202, typeof(CartEventAccepted))]
    [Problems(400, 401, 403, 413, 415, 429)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "merchants/{merchantId}/browser-events")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(limiter);
        ArgumentNullException.ThrowIfNull(options);
        if (WidgetRequest.From(request.HttpContext) is not { } widget)
        {
            return PublishableKeys.Refused();
        }

        if (widget.Origin is null)
        {
            return Problems.Forbidden("Browser events must come from one of the merchant's pages: the request has no Origin.");
        }

        var merchant = widget.Merchant;
        var o = options.Value;
        if (limiter.TryAcquire($"a|{merchant.Id}|{ClientAddress.Of(request.HttpContext) ?? "unknown"}", o.PerAddressLimit) is { } addressWait)
        {
            return TooMany(request, addressWait, "this client address");
        }

        var (message, _, problem) = await JsonBody.ReadAsync<CartEventMessage>(request, RequestBody.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (cartEvent, problems) = CartEventMapper.ToDomain(message!, merchant.Currency, time.GetUtcNow());
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
        services.AddSingleton<BrowserEventLimiter>();
        return services;
    }
}
