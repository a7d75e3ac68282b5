using Azure;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Pushes call status over Web PubSub: <c>{kind:"call", callId, status, detail?}</c> to the shopper's widget (user
/// <c>{merchantId}:{sessionId}</c>) and the call with its cart to the merchant's agents (group <c>agents:{merchantId}</c>).
/// Best effort: a push that fails is logged, never fails the call; the widget can poll GetCallStatus.
/// </summary>
public sealed partial class CallStatusNotifier(WebPubSubRestClient pubsub, ILogger<CallStatusNotifier> logger)
{
    public static string ShopperUser(string merchantId, string sessionId) => Push.PushUsers.For(merchantId, sessionId);

    public static string AgentsGroup(string merchantId) => $"agents:{merchantId}";

    public async Task NotifyAsync(CallRecord call, string? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var status = call.Status.ToString().ToLowerInvariant();
        var shopper = BinaryData.FromObjectAsJson(new { kind = "call", callId = call.CallId, status, detail, message = call.ShopperMessage }, AppJson.Options);
        var agents = BinaryData.FromObjectAsJson(new { kind = "call", call = AgentCallView.From(call), detail }, AppJson.Options);
        await SendAsync(() => pubsub.SendToUserAsync(ShopperUser(call.MerchantId, call.SessionId), shopper, cancellationToken), call.CallId, status)
            .ConfigureAwait(false);
        await SendAsync(() => pubsub.SendToGroupAsync(AgentsGroup(call.MerchantId), agents, cancellationToken), call.CallId, status)
            .ConfigureAwait(false);
    }

    private async Task SendAsync(Func<Task<Response>> send, string callId, string status)
    {
        try
        {
            await send().ConfigureAwait(false);
        }
        // Azure.Core reports retries exhausted on connection failures as an AggregateException.
        catch (Exception e) when (DependencyFailures.IsTransient(e) || DependencyFailures.IsConfiguration(e))
        {
            LogPushFailed(e, callId, status);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not push status {Status} of call {CallId}")]
    private partial void LogPushFailed(Exception e, string callId, string status);
}
