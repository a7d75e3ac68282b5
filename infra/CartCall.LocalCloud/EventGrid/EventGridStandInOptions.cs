using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace CartCall.LocalCloud.EventGrid;

/// <summary>The schema an event subscription delivers in (the real service's "event delivery schema").</summary>
public enum EventDeliverySchema
{
    CloudEvents,
    EventGrid,
}

/// <summary>Settings of the Event Grid topic stand-in; bound from configuration section <c>EventGrid</c>.</summary>
public sealed partial class EventGridStandInOptions
{
    public const string SectionName = "EventGrid";

    /// <summary>The retry schedule documented in delivery-and-retry.md; the last step repeats.</summary>
    public static IReadOnlyList<TimeSpan> DefaultRetrySchedule { get; } =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(3),
        TimeSpan.FromHours(6), TimeSpan.FromHours(12),
    ];

    /// <summary>Topic access key, base64 like the real ones (SAS tokens are signed with its decoded bytes).</summary>
    public string TopicKey { get; set; } = "";

    /// <summary>Topic name, used in the <c>topic</c> resource id stamped on Event Grid schema events.</summary>
    public string TopicName { get; set; } = "cartcall-local";

    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    public List<EventGridSubscriptionOptions> Subscriptions { get; set; } = [];

    /// <summary>
    /// Delays between attempts. Tests pass a compressed one; the status-code floors (≥30 s for 503, ≥2 min for 408,
    /// ≥10 s otherwise) are scaled by the same factor, taken as <c>RetrySchedule[0] / 10 s</c>.
    /// </summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [.. DefaultRetrySchedule];

    /// <summary>How long a subscriber may take to answer a delivery or handshake (real service: 30 s).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest publish request body accepted (real service: 1 MB per request).</summary>
    public int MaxPublishBytes { get; set; } = 1024 * 1024;

    /// <summary>Deliveries waiting to be sent; a publish that would overflow it gets 503.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    public int MaxConcurrentDeliveries { get; set; } = 16;

    /// <summary>Attempt and dead-letter records kept for inspection; the oldest are dropped past this.</summary>
    public int MaxRecords { get; set; } = 10_000;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public static EventGridStandInOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new EventGridStandInOptions();
        var section = configuration.GetSection(SectionName);
        section.Bind(options);
        // The binder appends to pre-filled lists, so the default schedule must give way to a configured one.
        var schedule = section.GetSection(nameof(RetrySchedule)).Get<List<TimeSpan>>();
        if (schedule is { Count: > 0 })
        {
            options.RetrySchedule = schedule;
        }

        return options;
    }

    /// <summary>Throws <see cref="EventGridOptionsException"/> listing every problem found.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(TopicKey))
        {
            errors.Add("EventGrid:TopicKey is required.");
        }
        else if (!IsBase64(TopicKey))
        {
            errors.Add("EventGrid:TopicKey must be base64 (like a real topic key) so SAS tokens can be signed with it.");
        }

        if (string.IsNullOrWhiteSpace(TopicName) || !NamePattern().IsMatch(TopicName))
        {
            errors.Add("EventGrid:TopicName must be 3-50 letters, digits or hyphens.");
        }

        if (Port is < 0 or > 65535)
        {
            errors.Add("EventGrid:Port must be 0 (free port) or 1-65535.");
        }

        if (RetrySchedule is null || RetrySchedule.Count == 0)
        {
            errors.Add("EventGrid:RetrySchedule needs at least one step.");
        }
        else if (RetrySchedule.Any(s => s <= TimeSpan.Zero || s > TimeSpan.FromHours(24)))
        {
            errors.Add("EventGrid:RetrySchedule steps must be positive and at most 24 hours.");
        }

        if (ResponseTimeout <= TimeSpan.Zero || ResponseTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add("EventGrid:ResponseTimeout must be positive and at most 5 minutes.");
        }

        if (MaxPublishBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add("EventGrid:MaxPublishBytes must be between 1 KB and 64 MB.");
        }

        if (QueueCapacity < 1) errors.Add("EventGrid:QueueCapacity must be at least 1.");
        if (MaxConcurrentDeliveries < 1) errors.Add("EventGrid:MaxConcurrentDeliveries must be at least 1.");
        if (MaxRecords < 1) errors.Add("EventGrid:MaxRecords must be at least 1.");
        if (TimeProvider is null) errors.Add("EventGrid:TimeProvider is required.");

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (subscription, index) in (Subscriptions ?? []).Select((s, i) => (s, i)))
        {
            errors.AddRange(subscription.Problems($"EventGrid:Subscriptions:{index}"));
            if (!string.IsNullOrEmpty(subscription.Name) && !names.Add(subscription.Name))
            {
                errors.Add($"EventGrid:Subscriptions:{index}:Name '{subscription.Name}' is used twice.");
            }
        }

        if (errors.Count > 0)
        {
            throw new EventGridOptionsException(errors);
        }
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var written) && written > 0;
    }

    [GeneratedRegex("^[A-Za-z0-9-]{3,50}$")]
    private static partial Regex NamePattern();
}

/// <summary>One push (webhook) event subscription on the stand-in topic.</summary>
public sealed partial class EventGridSubscriptionOptions
{
    public string Name { get; set; } = "";

    /// <summary>Webhook URL; must be on loopback (the stand-in never leaves the machine).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Event types to deliver (case-insensitive); empty or null means all.</summary>
    public List<string>? IncludedEventTypes { get; set; }

    public EventDeliverySchema Schema { get; set; } = EventDeliverySchema.CloudEvents;

    /// <summary>1-30, default 30, as on the real service.</summary>
    public int MaxDeliveryAttempts { get; set; } = 30;

    /// <summary>1 minute to 1440 minutes, default 1440, as on the real service.</summary>
    public TimeSpan EventTtl { get; set; } = TimeSpan.FromMinutes(1440);

    internal IEnumerable<string> Problems(string path)
    {
        if (string.IsNullOrWhiteSpace(Name) || !SubscriptionNamePattern().IsMatch(Name))
        {
            // Same rule as the real service: 3-64 characters, letters, digits and hyphens.
            yield return $"{path}:Name must be 3-64 letters, digits or hyphens.";
        }

        if (Endpoint is null || !Endpoint.IsAbsoluteUri)
        {
            yield return $"{path}:Endpoint must be an absolute http(s) URL.";
        }
        else if (Endpoint.Scheme is not ("http" or "https"))
        {
            yield return $"{path}:Endpoint must use http or https.";
        }
        else if (!Endpoint.IsLoopback)
        {
            yield return $"{path}:Endpoint must be on loopback (127.0.0.1, ::1 or localhost).";
        }

        if (MaxDeliveryAttempts is < 1 or > 30)
        {
            yield return $"{path}:MaxDeliveryAttempts must be between 1 and 30.";
        }

        if (EventTtl < TimeSpan.FromMinutes(1) || EventTtl > TimeSpan.FromMinutes(1440))
        {
            yield return $"{path}:EventTtl must be between 1 and 1440 minutes.";
        }

        if (IncludedEventTypes?.Any(string.IsNullOrWhiteSpace) == true)
        {
            yield return $"{path}:IncludedEventTypes must not contain empty entries.";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9-]{3,64}$")]
    private static partial Regex SubscriptionNamePattern();
}

public sealed class EventGridOptionsException(IReadOnlyList<string> errors)
    : Exception("Invalid Event Grid stand-in options: " + string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
