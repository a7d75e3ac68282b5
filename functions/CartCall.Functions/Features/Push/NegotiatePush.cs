using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;

namespace CartCall.Functions.Features.Push;

/// <summary>The widget's socket: where to connect, until when, and as whom.</summary>
public sealed record PushNegotiation(Uri Url, DateTimeOffset ExpiresAt, string UserId);

/// <summary>
/// <c>POST /api/merchants/{merchantId}/sessions/{sessionId}/push</c> (publishable key): a Web PubSub client URL for
/// the session's user, valid <see cref="Lifetime"/>. Also remembers the shopper's language for the offers pushed later.
/// </summary>
public sealed class NegotiatePush(WebPubSubRestClient pubSub, TableWidgetSessionStore widgetSessions, PreferenceCookie cookies, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(60);

    [Function(nameof(NegotiatePush))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Widget")]
    [Response(200, typeof(PushNegotiation))]
    [Problems(400, 401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "merchants/{merchantId}/sessions/{sessionId}/push")] HttpRequest request,
        string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(pubSub);
        ArgumentNullException.ThrowIfNull(widgetSessions);
        ArgumentNullException.ThrowIfNull(cookies);
        if (WidgetRequest.From(request.HttpContext)?.Merchant is not { } merchant)
        {
            return PublishableKeys.Refused();
        }

        if (PushUsers.SessionIdProblem(sessionId) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var language = ShopperLanguage.Resolve(request, cookies.Read(request, merchant.Id).Payload?.Language);
        await widgetSessions.SetLanguageAsync(merchant.Id, sessionId, language, cancellationToken).ConfigureAwait(false);

        var user = PushUsers.For(merchant.Id, sessionId);
        // Receive-only: no roles, no groups, so a shopper's socket can neither publish nor listen to anyone else.
        var url = pubSub.GetClientAccessUri(user, [], [], Lifetime);
        return TypedResults.Ok(new PushNegotiation(url, time.GetUtcNow() + Lifetime, user));
    }
}
