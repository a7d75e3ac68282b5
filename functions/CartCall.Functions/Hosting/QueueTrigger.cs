using System.Globalization;

namespace CartCall.Functions.Hosting;

/// <summary>What a queue-triggered function made of one message.</summary>
public enum QueueOutcome
{
    /// <summary>Done, or nothing to do (a duplicate, or a message no retry can mend): the host deletes it.</summary>
    Completed,

    /// <summary>A transient failure: the host makes the message visible again, and poisons it after maxDequeueCount.</summary>
    Retry,
}

/// <summary>The host retries the message: the function's way of saying <see cref="QueueOutcome.Retry"/>.</summary>
public sealed class QueueRetryException(string message) : Exception(message);

/// <summary>What every queue-triggered function shares: the trigger's metadata, and how an outcome reaches the host.</summary>
public static class QueueTrigger
{
    /// <summary>How many times the queue has handed this message out, 1 on the first try.</summary>
    public static int DequeueCount(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value) ? value switch
        {
            int n => n,
            long n => (int)n,
            string s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => 1,
        } : 1;
    }

    /// <summary>Hands the outcome to the host: returning completes the message, throwing has it retried.</summary>
    public static void Settle(QueueOutcome outcome, string function)
    {
        if (outcome == QueueOutcome.Retry)
        {
            throw new QueueRetryException($"{function} will be retried: a dependency failed.");
        }
    }
}
