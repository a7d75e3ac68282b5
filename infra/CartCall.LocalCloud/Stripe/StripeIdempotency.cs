namespace CartCall.LocalCloud.Stripe;

/// <summary>A saved response, replayed for a retry with the same key and parameters.</summary>
internal sealed record SavedResponse(int Status, string Body, string RequestId);

/// <summary>
/// Stripe's idempotency layer: per API key, the first response to a key is saved once the endpoint ran (including
/// errors such as declines), and returned for retries with the same parameters; the same key with other parameters is
/// an <c>idempotency_error</c>; a retry while the first is still running is a 409. Keys expire after the lifetime.
/// </summary>
internal sealed class StripeIdempotency(StripeStandInOptions options)
{
    private sealed class Entry
    {
        public required string Fingerprint { get; init; }
        public required DateTimeOffset At { get; init; }
        public SavedResponse? Response { get; set; }
    }

    public const int MaxKeyLength = 255;

    private readonly Lock gate = new();
    private readonly Dictionary<(string ApiKey, string Key), Entry> entries = [];

    public enum Verdict
    {
        /// <summary>Run the request; call <see cref="Complete"/> or <see cref="Abandon"/> after.</summary>
        Run,
        Replay,
        Mismatch,
        InProgress,
    }

    public (Verdict Verdict, SavedResponse? Saved) Begin(string apiKey, string key, string fingerprint)
    {
        var now = options.TimeProvider.GetUtcNow();
        lock (gate)
        {
            if (entries.TryGetValue((apiKey, key), out var entry) && now - entry.At >= options.IdempotencyKeyLifetime)
            {
                // Pruned keys start afresh, as Stripe documents.
                entries.Remove((apiKey, key));
                entry = null;
            }

            if (entry is null)
            {
                entries[(apiKey, key)] = new Entry { Fingerprint = fingerprint, At = now };
                return (Verdict.Run, null);
            }

            if (entry.Fingerprint != fingerprint)
            {
                return (Verdict.Mismatch, null);
            }

            return entry.Response is null ? (Verdict.InProgress, null) : (Verdict.Replay, entry.Response);
        }
    }

    public void Complete(string apiKey, string key, SavedResponse response)
    {
        lock (gate)
        {
            if (entries.TryGetValue((apiKey, key), out var entry))
            {
                entry.Response = response;
            }
        }
    }

    /// <summary>The request failed before the endpoint ran (bad parameters, outage): nothing is saved, a retry runs anew.</summary>
    public void Abandon(string apiKey, string key)
    {
        lock (gate) entries.Remove((apiKey, key));
    }
}
