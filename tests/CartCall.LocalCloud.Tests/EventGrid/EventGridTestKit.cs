using System.Security.Cryptography;
using CartCall.LocalCloud.EventGrid;

namespace CartCall.LocalCloud.Tests.EventGrid;

internal static class EventGridTestKit
{
    public static readonly string TopicKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Generous: only bounds a hung test, never asserts a timing.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static EventGridStandInOptions Options(params EventGridSubscriptionOptions[] subscriptions) => new()
    {
        TopicKey = TopicKey,
        Subscriptions = [.. subscriptions],
        // Compressed schedule (scale 1/200): floors become 150 ms for 503 and 600 ms for 408.
        RetrySchedule = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200)],
        ResponseTimeout = TimeSpan.FromSeconds(5),
    };

    public static EventGridSubscriptionOptions Subscription(
        string name, Uri endpoint, EventDeliverySchema schema = EventDeliverySchema.CloudEvents, int maxAttempts = 30) => new()
    {
        Name = name,
        Endpoint = endpoint,
        Schema = schema,
        MaxDeliveryAttempts = maxAttempts,
    };

    /// <summary>Polls until <paramref name="condition"/> holds or patience runs out; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            await Task.Delay(25);
        }

        return condition();
    }
}
