using System.Text.Json;
using Azure.Storage.Queues;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Calls;

/// <summary>The <c>calls</c> queue message: which call to place.</summary>
public sealed record PlaceCallMessage(string CallId);

/// <summary>Puts calls on the <c>calls</c> queue, now or (a scheduled callback) after a visibility delay.</summary>
public sealed class CallQueue(StorageClients storage)
{
    /// <summary>Queue messages can hide for at most seven days; a later callback is re-queued when it surfaces.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(6.9);

    private readonly QueueClient queue = storage.Queue(StorageNames.CallsQueue);

    public Task EnqueueAsync(string callId, TimeSpan delay, CancellationToken cancellationToken)
    {
        // Visibility is whole seconds: round up so a callback never surfaces before its time.
        var seconds = Math.Ceiling(Math.Clamp(delay.TotalSeconds, 0, MaxDelay.TotalSeconds));
        return queue.SendMessageAsync(
            JsonSerializer.Serialize(new PlaceCallMessage(callId), AppJson.Options),
            visibilityTimeout: TimeSpan.FromSeconds(seconds),
            cancellationToken: cancellationToken);
    }
}
