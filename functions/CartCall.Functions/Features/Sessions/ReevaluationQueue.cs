using System.Text.Json;
using Azure.Storage.Queues;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Sessions;

/// <summary>A request to score a session again later, carried by a queue message with a visibility delay.</summary>
public sealed record ReevaluationRequest(string MerchantId, string SessionId);

public sealed class ReevaluationQueue(StorageClients storage)
{
    private readonly QueueClient queue = storage.Queue(StorageNames.ReevaluateQueue);

    public Task ScheduleAsync(ReevaluationRequest request, TimeSpan delay, CancellationToken cancellationToken) =>
        queue.SendMessageAsync(JsonSerializer.Serialize(request, AppJson.Options), visibilityTimeout: delay, cancellationToken: cancellationToken);
}
