namespace CartCall.Domain.Hooks;

/// <summary>What a hook's answer can change at one lifecycle point.</summary>
/// <param name="CanVeto">A veto (or a fail-closed hook without an answer) stops what is about to happen.</param>
/// <param name="CanRoute">A routing answer chooses the agent.</param>
/// <param name="CanEnrich">Enrichment data is kept and shown (e.g. next to the cart in the agent workspace).</param>
public sealed record HookPointCapabilities(bool CanVeto, bool CanRoute, bool CanEnrich)
{
    /// <summary>A notification: answers are recorded but change nothing.</summary>
    public static readonly HookPointCapabilities NotifyOnly = new(false, false, false);
}

/// <summary>
/// The lifecycle points a merchant's hooks can be registered at. Points that come before something happens can stop
/// or steer it; points after the fact are notifications.
/// </summary>
public static class HookPoints
{
    public const string OfferProposed = "offer.proposed";
    public const string OfferAccepted = "offer.accepted";
    public const string CallBeforeDial = "call.before_dial";
    public const string CallConnected = "call.connected";
    public const string CallEnded = "call.ended";
    public const string ChargeCaptured = "charge.captured";

    public static readonly IReadOnlyList<string> All =
        [OfferProposed, OfferAccepted, CallBeforeDial, CallConnected, CallEnded, ChargeCaptured];

    public static bool IsKnown(string? point) => point is not null && All.Contains(point, StringComparer.Ordinal);

    public static HookPointCapabilities Capabilities(string point) => point switch
    {
        // The offer is stored and pushed to the shopper when it is delivered, and its hooks run after that, beside it:
        // holding the shopper's offer for a merchant's program would cost the moment the offer exists for. So a hook
        // here can only listen; stopping offers is the merchant's offer policy (thresholds, budget, caps).
        OfferProposed => HookPointCapabilities.NotifyOnly,
        // Runs beside the call's start (the accept answers the shopper at once), so nothing waits for its answer: a veto or
        // a route here would arrive after the call has moved on. Stopping or routing a call is call.before_dial's.
        OfferAccepted => HookPointCapabilities.NotifyOnly,
        CallBeforeDial => new(CanVeto: true, CanRoute: true, CanEnrich: true),
        CallConnected => new(CanVeto: false, CanRoute: false, CanEnrich: true),
        CallEnded or ChargeCaptured => HookPointCapabilities.NotifyOnly,
        _ => throw new ArgumentOutOfRangeException(nameof(point), point, "Unknown lifecycle point."),
    };
}
