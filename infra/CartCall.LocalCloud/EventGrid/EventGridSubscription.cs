namespace CartCall.LocalCloud.EventGrid;

/// <summary>A subscription's settings (copied, so later edits to the options object do not leak in) and handshake state.</summary>
internal sealed class EventGridSubscription(EventGridSubscriptionOptions options)
{
    private readonly Lock _gate = new();

    public string Name { get; } = options.Name;
    public Uri Endpoint { get; } = options.Endpoint!;
    public EventDeliverySchema Schema { get; } = options.Schema;
    public int MaxDeliveryAttempts { get; } = options.MaxDeliveryAttempts;
    public TimeSpan EventTtl { get; } = options.EventTtl;
    public IReadOnlyList<string> IncludedEventTypes { get; } = [.. options.IncludedEventTypes ?? []];

    /// <summary>Serialises handshakes so concurrent deliveries trigger one.</summary>
    public SemaphoreSlim HandshakeGate { get; } = new(1, 1);

    public SubscriptionValidationState State { get; private set; } = SubscriptionValidationState.Pending;
    public string? Detail { get; private set; }

    /// <summary>The code last sent in a SubscriptionValidationEvent (Event Grid schema only).</summary>
    public string? ValidationCode { get; set; }

    /// <summary>The validationUrl GET alternative: validates when the code is the one last sent.</summary>
    public bool TryValidateByUrl(string code)
    {
        lock (_gate)
        {
            if (ValidationCode is null || !string.Equals(code, ValidationCode, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            State = SubscriptionValidationState.Validated;
            Detail = "Validated by a GET to the validationUrl.";
            return true;
        }
    }

    public bool Matches(string eventType) =>
        IncludedEventTypes.Count == 0 || IncludedEventTypes.Contains(eventType, StringComparer.OrdinalIgnoreCase);

    public void SetState(SubscriptionValidationState state, string? detail)
    {
        lock (_gate)
        {
            State = state;
            Detail = detail;
        }
    }

    public SubscriptionStatus Snapshot()
    {
        lock (_gate) return new SubscriptionStatus(Name, Endpoint, Schema, State, Detail);
    }
}
