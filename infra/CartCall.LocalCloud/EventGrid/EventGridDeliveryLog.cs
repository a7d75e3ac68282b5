namespace CartCall.LocalCloud.EventGrid;

/// <summary>Attempts and dead letters, kept in memory for tests and the debugging view; bounded.</summary>
internal sealed class EventGridDeliveryLog(int maxRecords)
{
    private readonly Lock _gate = new();
    private readonly List<DeliveryRecord> _deliveries = [];
    private readonly List<DeadLetter> _deadLetters = [];

    public IReadOnlyList<DeliveryRecord> Deliveries
    {
        get { lock (_gate) return [.. _deliveries]; }
    }

    public IReadOnlyList<DeadLetter> DeadLetters
    {
        get { lock (_gate) return [.. _deadLetters]; }
    }

    public void Add(DeliveryRecord record)
    {
        lock (_gate) AddBounded(_deliveries, record);
    }

    public void Add(DeadLetter deadLetter)
    {
        lock (_gate) AddBounded(_deadLetters, deadLetter);
    }

    private void AddBounded<T>(List<T> list, T item)
    {
        if (list.Count >= maxRecords)
        {
            list.RemoveRange(0, list.Count - maxRecords + 1);
        }

        list.Add(item);
    }
}
