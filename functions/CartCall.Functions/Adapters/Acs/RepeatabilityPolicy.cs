using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>
/// Adds <c>Repeatability-Request-ID</c> and <c>Repeatability-First-Sent</c> to requests marked repeatable.
/// It sits per-call (before the retry policy), so every retry of one request carries the same id and first-sent
/// time and the service can tell a retry from a second call.
/// </summary>
public sealed class RepeatabilityPolicy : HttpPipelinePolicy
{
    public const string RequestIdHeader = "Repeatability-Request-ID";
    public const string FirstSentHeader = "Repeatability-First-Sent";
    private const string MarkerProperty = "CartCall.Acs.Repeatable";

    private readonly TimeProvider _time;

    public RepeatabilityPolicy(TimeProvider timeProvider) =>
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));

    /// <summary>Marks a message as a non-idempotent operation (create, answer, add participant, terminate).</summary>
    public static void MarkRepeatable(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.SetProperty(MarkerProperty, true);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Stamp(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Stamp(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Stamp(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!message.TryGetProperty(MarkerProperty, out var marked) || marked is not true) return;
        if (message.Request.Headers.Contains(RequestIdHeader)) return;
        message.Request.Headers.SetValue(RequestIdHeader, Guid.NewGuid().ToString());
        message.Request.Headers.SetValue(FirstSentHeader, _time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture));
    }
}
