namespace CartCall.Functions.Hosting;

/// <summary>
/// How the program is hosted. Under the Functions host, <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> is set and the host
/// delivers queue triggers; run on its own, the program polls its queues itself.
/// </summary>
public sealed class HostingOptions
{
    public const string Section = "CartCall:Hosting";

    /// <summary>Poll the queues and drive the queue functions in-process (local runs). Null: on unless under the Functions host.</summary>
    public bool? LocalQueueTriggers { get; set; }

    /// <summary>The longest wait between polls of an idle queue.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a message stays hidden while being handled, and the base of the retry backoff.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxDequeueCount { get; set; } = 5;

    public static bool UnderFunctionsHost => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT"));
}
