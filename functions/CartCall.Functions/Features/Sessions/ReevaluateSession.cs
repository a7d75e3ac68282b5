using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// Queue-triggered (<c>reevaluate</c>): the session's pending check. While a checkout stays quiet it is scored again
/// at each mark of the idle schedule (30 s, 90 s, 3 min, then every 5 min), so the silence keeps counting; once the
/// schedule has stopped, the last check closes the session and records its outcome.
/// </summary>
public sealed partial class ReevaluateSession(IMerchantStore merchants, SessionEvaluator evaluator, ILogger<ReevaluateSession> logger)
{

    [Function(nameof(ReevaluateSession))]
    public async Task RunAsync([QueueTrigger(StorageNames.ReevaluateQueue)] string message, FunctionContext context, CancellationToken cancellationToken) =>
        QueueTrigger.Settle(await HandleAsync(message, QueueTrigger.DequeueCount(context), cancellationToken).ConfigureAwait(false), nameof(ReevaluateSession));

    /// <param name="dequeueCount">Above 1 the message was handed out before and interrupted (the worker died mid-check):
    /// it then also finishes that check's follow-ups.</param>
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

        await evaluator.ReevaluateAsync(merchant, request.SessionId, request.DueAt, redelivered: dequeueCount > 1, cancellationToken).ConfigureAwait(false);
        return QueueOutcome.Completed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed re-evaluation message of {Length} characters")]
    private partial void LogMalformed(int length);
}
