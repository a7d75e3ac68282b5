using System.Text.Json;
using Azure.Storage.Queues;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// Carries out a session's outbox rows: each row's handler does the follow-up, then the row is deleted (only if it was
/// not replaced meanwhile). A row whose follow-up fails stays; the session is then handed to the drain function
/// (<see cref="DrainOutbox"/>, with the queue's retries), and the sweeper (<see cref="SweepOutbox"/>) finds whatever
/// is still there a minute later. Handlers are idempotent, so a row carried out twice (a crash between the follow-up
/// and the delete) does no harm.
/// </summary>
public sealed partial class OutboxDispatcher(
    ISessionStore sessions, IEnumerable<IOutboxHandler> handlers, StorageClients storage, ILogger<OutboxDispatcher> logger)
{
    private readonly Dictionary<OutboxKind, IOutboxHandler> byKind = handlers.ToDictionary(h => h.Kind);
    private readonly QueueClient drainQueue = storage.Queue(StorageNames.OutboxQueue);

    /// <summary>Carries out rows just written; any that fail are left to the drain function.</summary>
    public async Task DispatchAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        var results = await Task.WhenAll(entries.Select(e => DispatchOneAsync(e, cancellationToken))).ConfigureAwait(false);
        if (results.Contains(OutboxResult.Retry))
        {
            await RequestDrainAsync(entries[0].MerchantId, entries[0].SessionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Carries out whatever the session's outbox still holds; true when nothing is left waiting.</summary>
    public async Task<bool> DrainAsync(string merchantId, string sessionId, CancellationToken cancellationToken)
    {
        var entries = await sessions.ListOutboxAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0)
        {
            return true;
        }

        LogDraining(merchantId, sessionId, entries.Count);
        var results = await Task.WhenAll(entries.Select(e => DispatchOneAsync(e, cancellationToken))).ConfigureAwait(false);
        return !results.Contains(OutboxResult.Retry);
    }

    /// <summary>Carries out rows found by the sweeper; true when none failed.</summary>
    public async Task<bool> DispatchFoundAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var results = await Task.WhenAll(entries.Select(e => DispatchOneAsync(e, cancellationToken))).ConfigureAwait(false);
        return !results.Contains(OutboxResult.Retry);
    }

    /// <summary>Asks the drain function to finish a session's outbox (the queue retries it, then poisons it).</summary>
    public Task RequestDrainAsync(string merchantId, string sessionId, CancellationToken cancellationToken) =>
        drainQueue.SendMessageAsync(JsonSerializer.Serialize(new DrainRequest(merchantId, sessionId), AppJson.Options), cancellationToken: cancellationToken);

    private async Task<OutboxResult> DispatchOneAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        OutboxResult result;
        try
        {
            result = byKind.TryGetValue(entry.Item.Kind, out var handler)
                ? await handler.HandleAsync(entry, cancellationToken).ConfigureAwait(false)
                : OutboxResult.Retry;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever went wrong, the row stays: it is retried by the drain function and the sweeper, and a failure that
            // is not transient shows in the logs every time rather than losing the follow-up once.
            if (DependencyFailures.IsTransient(e, cancellationToken))
            {
                LogDeferred(e, entry.Item.Kind, entry.MerchantId, entry.SessionId, entry.Item.Key);
            }
            else
            {
                LogFailed(e, entry.Item.Kind, entry.MerchantId, entry.SessionId, entry.Item.Key);
            }

            return OutboxResult.Retry;
        }

        if (result == OutboxResult.Retry)
        {
            return result;
        }

        if (result == OutboxResult.Drop)
        {
            LogDropped(entry.Item.Kind, entry.MerchantId, entry.SessionId, entry.Item.Key);
        }

        try
        {
            await sessions.DeleteOutboxAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (DependencyFailures.IsTransient(e, cancellationToken))
        {
            // The follow-up happened; a row left behind is carried out once more later, which is harmless.
            LogDeleteFailed(e, entry.Item.Kind, entry.MerchantId, entry.SessionId);
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining {Count} outbox rows of session {MerchantId}/{SessionId}")]
    private partial void LogDraining(string merchantId, string sessionId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Kind} of session {MerchantId}/{SessionId} ({Key}) failed; it stays for a retry")]
    private partial void LogDeferred(Exception e, OutboxKind kind, string merchantId, string sessionId, string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox {Kind} of session {MerchantId}/{SessionId} ({Key}) failed with an error that is not transient; it stays for a retry")]
    private partial void LogFailed(Exception e, OutboxKind kind, string merchantId, string sessionId, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Kind} of session {MerchantId}/{SessionId} ({Key}) can never be carried out; dropped")]
    private partial void LogDropped(OutboxKind kind, string merchantId, string sessionId, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox {Kind} of session {MerchantId}/{SessionId} was carried out but its row could not be deleted")]
    private partial void LogDeleteFailed(Exception e, OutboxKind kind, string merchantId, string sessionId);
}

/// <summary>A request to the drain function: finish this session's outbox.</summary>
public sealed record DrainRequest(string MerchantId, string SessionId);

/// <summary>
/// Queue-triggered (<c>outbox</c>): finishes a session's outbox after a follow-up failed on the way (Event Grid down, a
/// queue unreachable). The queue retries it with its visibility timeout and poisons it after maxDequeueCount; the
/// sweeper stays behind that.
/// </summary>
public sealed partial class DrainOutbox(OutboxDispatcher dispatcher, ILogger<DrainOutbox> logger)
{
    [Function(nameof(DrainOutbox))]
    public async Task RunAsync([QueueTrigger(StorageNames.OutboxQueue)] string message, FunctionContext context, CancellationToken cancellationToken) =>
        QueueTrigger.Settle(await HandleAsync(message, cancellationToken).ConfigureAwait(false), nameof(DrainOutbox));

    public async Task<QueueOutcome> HandleAsync(string message, CancellationToken cancellationToken)
    {
        var request = QueueMessages.TryRead<DrainRequest>(message);
        if (request is null || string.IsNullOrEmpty(request.MerchantId) || string.IsNullOrEmpty(request.SessionId))
        {
            LogMalformed(message.Length);
            return QueueOutcome.Completed;
        }

        return await dispatcher.DrainAsync(request.MerchantId, request.SessionId, cancellationToken).ConfigureAwait(false)
            ? QueueOutcome.Completed
            : QueueOutcome.Retry;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed outbox drain message of {Length} characters")]
    private partial void LogMalformed(int length);
}
