using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Calls;

namespace CartCall.Functions.Features.Billing;

/// <summary>
/// What billing takes from a <c>CartCall.CallEnded</c> event: serialisable, so it can be a Durable activity's input
/// or a queue message. <paramref name="DestinationRegion"/> is libphonenumber's region of the dialled number (phone).
/// </summary>
public sealed record CallEndedBilling(
    string CallId,
    string MerchantId,
    CallMode Mode,
    string? DestinationRegion,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset EndedAt,
    double DurationSeconds)
{
    /// <param name="destinationRegion">From the call's shopper number, e.g. <c>PhoneNumbers.Check(phone, null).RegionCode</c>.</param>
    public static CallEndedBilling From(CallEnded ended, string? destinationRegion)
    {
        ArgumentNullException.ThrowIfNull(ended);
        return new(ended.CallId, ended.MerchantId, ended.Mode, destinationRegion, ended.CreatedAt, ended.ConnectedAt, ended.EndedAt, ended.DurationSeconds);
    }

    /// <summary>The domain's view: talk time in whole seconds (a started second counts), started at connect.</summary>
    public CallUsage ToUsage()
    {
        var connected = ConnectedAt is not null && DurationSeconds > 0 && double.IsFinite(DurationSeconds);
        var seconds = connected ? (int)Math.Min(Math.Ceiling(DurationSeconds), int.MaxValue) : 0;
        return new CallUsage(CallId, MerchantId, Mode, Mode == CallMode.Phone ? DestinationRegion : null, ConnectedAt ?? CreatedAt, connected, seconds);
    }
}

/// <summary>How billing an ended call went.</summary>
public enum CallBillingOutcome
{
    Billed,

    /// <summary>The input was refused; nothing was posted.</summary>
    Invalid,

    /// <summary>The merchant has no plan; nothing was posted.</summary>
    NoPlan,
}

/// <summary>What happened to the shopper's hold.</summary>
public sealed record HoldSettlement(HoldStatus Status, long? CapturedMinor, string? Reason);

public sealed record CallBillingResult(
    string CallId, CallBillingOutcome Outcome, IReadOnlyList<string> Problems, CallRating? Rating, PostingReport Posting, HoldSettlement? Hold);
