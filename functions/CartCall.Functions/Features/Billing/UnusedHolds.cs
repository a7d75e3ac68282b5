using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Billing;

/// <summary>A check that releases call <paramref name="CallId"/>'s hold unless offer <paramref name="OfferId"/> became that call.</summary>
public sealed record UnusedHoldCheck(string CallId, string OfferId);

/// <summary>
/// Holds placed at an offer's payment step whose call never came: the shopper authorised the card and then left
/// without accepting or dismissing (closed the tab, an accept refused for want of an agent and never retried). When
/// the hold is placed, a check is queued for when the offer can no longer be accepted (its expiry plus
/// <see cref="BillingOptions.UnusedHoldGrace"/>); unless the offer was accepted as this call by then, the hold is
/// cancelled, so the shopper's money is free minutes after the offer, not at the next daily sweep. A check lost to a
/// crash before it was queued leaves the hold to that sweep.
/// </summary>
public sealed partial class UnusedHolds(
    StorageClients storage, TableOfferStore offers, BillingService billing, IOptions<BillingOptions> options, TimeProvider time, ILogger<UnusedHolds> logger)
{
    private readonly QueueClient queue = storage.Queue(StorageNames.HoldReleaseQueue);

    /// <summary>
    /// Queues the check of a hold just placed for <paramref name="callId"/>. A failure to queue is logged, not thrown:
    /// the accept goes on, and the daily sweep is the backstop.
    /// </summary>
    public async Task ScheduleAsync(string callId, string offerId, DateTimeOffset offerExpiresAt, CancellationToken cancellationToken)
    {
        // Rounded up, so the check never runs before the offer is over.
        var delay = QueueDelays.Until(offerExpiresAt + options.Value.UnusedHoldGrace - time.GetUtcNow());
        try
        {
            await queue.SendMessageAsync(JsonSerializer.Serialize(new UnusedHoldCheck(callId, offerId), AppJson.Options), visibilityTimeout: delay,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogNotScheduled(logger, callId, e.Message);
        }
    }

    /// <summary>Cancels the hold unless the offer was accepted as this call; returns whether a hold was released now.</summary>
    public async Task<bool> ReleaseIfUnusedAsync(UnusedHoldCheck check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        var offer = await offers.GetAsync(check.OfferId, cancellationToken).ConfigureAwait(false);
        if (offer is { Status: OfferStatus.Accepted } && offer.CallId == check.CallId)
        {
            // The call's settlement captures or cancels it.
            return false;
        }

        var settled = await billing.ReleaseHoldAsync(check.CallId, "unused", cancellationToken).ConfigureAwait(false);
        var released = settled is { Status: HoldStatus.Cancelled, Reason: "unused" };
        if (released)
        {
            LogReleased(logger, check.CallId, check.OfferId, offer?.Status.ToString() ?? "gone");
        }

        return released;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The unused-hold check of call {CallId} could not be queued; the daily sweep releases its hold: {Error}")]
    private static partial void LogNotScheduled(ILogger logger, string callId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Released the hold of call {CallId}: offer {OfferId} ended {OfferStatus} without this call")]
    private static partial void LogReleased(ILogger logger, string callId, string offerId, string offerStatus);
}

/// <summary>
/// Queue-triggered (<c>hold-release</c>): carries out an <see cref="UnusedHoldCheck"/> once its offer is over. A failure
/// (Stripe or storage down) is retried by the queue; the daily sweep stays behind that.
/// </summary>
public sealed partial class ReleaseUnusedHold(UnusedHolds holds, ILogger<ReleaseUnusedHold> logger)
{
    [Function(nameof(ReleaseUnusedHold))]
    public async Task RunAsync([QueueTrigger(StorageNames.HoldReleaseQueue)] string message, CancellationToken cancellationToken)
    {
        if (QueueMessages.TryRead<UnusedHoldCheck>(message) is not { CallId.Length: > 0, OfferId.Length: > 0 } check)
        {
            LogMalformed(logger, message.Length);
            return;
        }

        await holds.ReleaseIfUnusedAsync(check, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a malformed unused-hold check of {Length} characters")]
    private static partial void LogMalformed(ILogger logger, int length);
}
