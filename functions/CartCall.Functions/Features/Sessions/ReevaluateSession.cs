using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// Queue-triggered (<c>reevaluate</c>): scores a session again after a silence, so a cart left idle in checkout is
/// noticed without any new event.
/// </summary>
public sealed partial class ReevaluateSession(IMerchantStore merchants, SessionEvaluator evaluator, ILogger<ReevaluateSession> logger)
{

    [Function(nameof(ReevaluateSession))]
    public async Task RunAsync([QueueTrigger(StorageNames.ReevaluateQueue)] string message, FunctionContext context, CancellationToken cancellationToken) =>
        QueueTrigger.Settle(await HandleAsync(message, QueueTrigger.DequeueCount(context), cancellationToken).ConfigureAwait(false), nameof(ReevaluateSession));

    public async Task<QueueOutcome> HandleAsync(string message, int dequeueCount, CancellationToken cancellationToken)
    {
        var request = QueueMessages.TryRead<ReevaluationRequest>(message);

        if (request is null || string.IsNullOrEmpty(request.MerchantId) || string.IsNullOrEmpty(request.SessionId))
        {
            // Retrying cannot mend a malformed message; drop it loudly rather than poison the queue.
            LogMalformed(message.Length);
            return QueueOutcome.Completed;
        }

        var merchant = await merchants.GetAsync(request.MerchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return QueueOutcome.Completed;
        }

        await evaluator.ReevaluateAsync(merchant, request.SessionId, cancellationToken).ConfigureAwait(false);
        return QueueOutcome.Completed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed re-evaluation message of {Length} characters")]
    private partial void LogMalformed(int length);
}
