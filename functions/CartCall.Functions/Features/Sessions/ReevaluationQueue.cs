using System.Text.Json;
using Azure.Storage.Queues;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// A request to check a session again at <paramref name="DueAt"/>, carried by a queue message with a visibility delay.
/// The session keeps the same due time as its pending check; a message whose due time is no longer the session's
/// (superseded, or sent twice) changes nothing.
/// </summary>
public sealed record ReevaluationRequest(string MerchantId, string SessionId, DateTimeOffset? DueAt = null)
{
    /// <summary>The outbox key of the one pending check per session.</summary>
    public const string Key = "next";
}

/// <summary>Sends re-evaluation messages, delayed until they are due.</summary>
public class ReevaluationQueue(StorageClients storage, TimeProvider time)
{
    private readonly QueueClient queue = storage.Queue(StorageNames.ReevaluateQueue);

    public Task ScheduleAsync(ReevaluationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var delay = request.DueAt is { } due ? Delay(due - time.GetUtcNow()) : TimeSpan.Zero;
        return queue.SendMessageAsync(JsonSerializer.Serialize(request, AppJson.Options), visibilityTimeout: delay, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The visibility delay for a check due in <paramref name="untilDue"/> on the app's clock, rounded up to whole seconds
    /// (an early check would only reschedule).
    /// </summary>
    protected virtual TimeSpan Delay(TimeSpan untilDue) => QueueDelays.Until(untilDue);
}

/// <summary>Carries out the outbox row of a session's next check: sends its message.</summary>
public sealed class ReevaluationOutboxHandler(ReevaluationQueue queue) : IOutboxHandler
{
    public OutboxKind Kind => OutboxKind.Reevaluate;

    public async Task<OutboxResult> HandleAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (QueueMessages.TryRead<ReevaluationRequest>(entry.Item.Payload) is not { } request)
        {
            return OutboxResult.Drop;
        }

        await queue.ScheduleAsync(request, cancellationToken).ConfigureAwait(false);
        return OutboxResult.Done;
    }
}
