namespace CartCall.Functions.Hosting;

/// <summary>What a queue-triggered function made of one message.</summary>
public enum QueueOutcome
{
    /// <summary>Done, or nothing to do (a duplicate): the message is deleted.</summary>
    Completed,

    /// <summary>A transient failure: the message becomes visible again and is retried, then poisoned.</summary>
    Retry,
}

/// <summary>
/// A queue-triggered function. The Functions host invokes it through <c>POST /{Name}</c> with the custom-handler
/// payload; in local mode <see cref="LocalQueueTriggerService"/> polls the queue and calls it directly.
/// </summary>
public interface IQueueFunction
{
    /// <summary>The function name: its folder under functions/Definitions and its custom-handler route.</summary>
    string Name { get; }

    /// <summary>The queue it is triggered by.</summary>
    string QueueName { get; }

    Task<QueueOutcome> HandleAsync(string message, int dequeueCount, CancellationToken cancellationToken);
}
