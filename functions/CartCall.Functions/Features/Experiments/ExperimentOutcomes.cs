using CartCall.Domain.Experiments;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Experiments;

/// <summary>
/// What happened to a session in the experiment after its decision to offer: shown, accepted, connected, what its calls
/// cost. The widget's shown mark calls it; the call orchestration calls <see cref="OfferAcceptedAsync"/> when the
/// shopper accepts, <see cref="CallConnectedAsync"/> when an agent is connected and <see cref="CallEndedAsync"/> with the
/// call's cost when it ends. Every method is idempotent (a retried activity changes nothing), and a session that never
/// entered the experiment (no decision to offer) is ignored.
/// </summary>
public sealed class ExperimentOutcomes(ISessionStore sessions, TableExperimentStore experiments, TimeProvider time)
{
    public Task OfferShownAsync(string merchantId, string sessionId, DateTimeOffset shownAt, CancellationToken cancellationToken) =>
        MarkAsync(merchantId, sessionId, new Dictionary<string, object?> { ["Shown"] = true, ["ShownAt"] = shownAt }, cancellationToken);

    public Task OfferAcceptedAsync(string merchantId, string sessionId, CancellationToken cancellationToken) =>
        MarkAsync(merchantId, sessionId, new Dictionary<string, object?> { ["Shown"] = true, ["Accepted"] = true, ["AcceptedAt"] = time.GetUtcNow() }, cancellationToken);

    public Task CallConnectedAsync(string merchantId, string sessionId, string callId, CancellationToken cancellationToken) =>
        MarkAsync(merchantId, sessionId, new Dictionary<string, object?> { ["Shown"] = true, ["Accepted"] = true, ["Connected"] = true, ["ConnectedCallId"] = callId }, cancellationToken);

    /// <summary>A call of the session ended; <paramref name="cost"/> is what it cost the merchant (counted once per call).</summary>
    public async Task CallEndedAsync(string merchantId, string sessionId, string callId, decimal cost, bool connected, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        if (cost < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(cost), cost, "A call's cost cannot be negative.");
        }

        if (await EnteredAtAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false) is { } enteredAt)
        {
            await experiments.AddCallCostAsync(merchantId, sessionId, enteredAt, callId, cost, connected, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task MarkAsync(string merchantId, string sessionId, Dictionary<string, object?> fields, CancellationToken cancellationToken)
    {
        if (await EnteredAtAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false) is { } enteredAt)
        {
            await experiments.MergeAsync(merchantId, sessionId, enteredAt, fields, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DateTimeOffset?> EnteredAtAsync(string merchantId, string sessionId, CancellationToken cancellationToken) =>
        (await sessions.GetAsync(merchantId, sessionId, cancellationToken).ConfigureAwait(false))?.Session.FirstOfferAt;
}

/// <summary>Carries out a session's experiment rows from its outbox: its entry, then its order.</summary>
public sealed class ExperimentOutboxHandler(TableExperimentStore experiments) : IOutboxHandler
{
    public OutboxKind Kind => OutboxKind.Experiment;

    public async Task<OutboxResult> HandleAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (QueueMessages.TryRead<ExperimentFollowUp>(entry.Item.Payload) is not { } change)
        {
            return OutboxResult.Drop;
        }

        var fields = new Dictionary<string, object?>();
        if (change.Arm is { } arm)
        {
            fields["Arm"] = arm == ExperimentArm.Control ? "control" : "treatment";
            fields["DecidedAt"] = change.EnteredAt;
        }

        if (change.OrderCompletedAt is { } completedAt)
        {
            fields["OrderCompletedAt"] = completedAt;
            fields["OrderValue"] = TableExperimentStore.Money(change.OrderValue ?? 0m);
            fields["OrderMargin"] = TableExperimentStore.Money(change.OrderMargin ?? 0m);
        }

        if (fields.Count > 0)
        {
            await experiments.MergeAsync(entry.MerchantId, entry.SessionId, change.EnteredAt, fields, cancellationToken).ConfigureAwait(false);
        }

        return OutboxResult.Done;
    }
}
