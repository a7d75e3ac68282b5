using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Calls;

/// <summary>Where a call is, as the widget and the agent console see it.</summary>
public enum CallStatus
{
    Queued,
    Scheduled,
    Ringing,
    Connected,
    Ended,
    Failed,
}

/// <summary>What the app is doing inside a connected call.</summary>
public enum CallPhase
{
    None,
    Greeting,
    AddingAgent,
    Talking,
    Apology,
    HangingUp,
}

/// <summary>The cart the call is about, for the agent console.</summary>
public sealed record CallCart(
    IReadOnlyList<CallCartItem> Items, decimal Value, string Currency, double Score, string? State, IReadOnlyList<string> Reasons);

public sealed record CallCartItem(string Sku, string? Title, int Quantity, decimal UnitPrice);

/// <summary>
/// A call as the app keeps it (table <c>calls</c>, PK = call id): written by the accept, then a projection of the call
/// orchestration's state (<see cref="CallProjection"/>) for the widget, the agents and the merchant.
/// </summary>
public sealed class CallRecord
{
    public string CallId { get; set; } = "";

    public string OfferId { get; set; } = "";

    public string MerchantId { get; set; } = "";

    public string SessionId { get; set; } = "";

    public CallMode Mode { get; set; }

    /// <summary>Why this mode (from the mode selector), and any deferral.</summary>
    public string Reason { get; set; } = "";

    public CallStatus Status { get; set; }

    public CallPhase Phase { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ScheduledFor { get; set; }

    public DateTimeOffset? RingingAt { get; set; }

    /// <summary>Which of the orchestration's records this is: an older one arriving late is not applied.</summary>
    public int RecordSequence { get; set; }

    /// <summary>When the status or phase last changed (as the call's orchestration saw it).</summary>
    public DateTimeOffset? StateChangedAt { get; set; }

    public DateTimeOffset? ConnectedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public double? DurationSeconds { get; set; }

    public string? Outcome { get; set; }

    public string? Detail { get; set; }

    /// <summary>What the shopper's widget shows about how the call ended, when the merchant said it (a hook's veto).</summary>
    public string? ShopperMessage { get; set; }

    public string? ShopperPhone { get; set; }

    public string? ShopperAcsUserId { get; set; }

    /// <summary>The shopper's language (their saved preference), for the agent.</summary>
    public string? Language { get; set; }

    public string? CallConnectionId { get; set; }

    public QuietHours? QuietHours { get; set; }

    public string? TimeZone { get; set; }

    public string? ClientAddress { get; set; }

    /// <summary>Counts agent invitations; the operation context of each carries it, so a stale reply is recognised.</summary>
    public int AgentAttempt { get; set; }

    public string? CurrentAgentId { get; set; }

    /// <summary>The invited agent's raw id, so participant updates that overtake AddParticipantSucceeded are understood.</summary>
    public string? CurrentAgentRawId { get; set; }

    public List<string> AgentsTried { get; set; } = [];

    /// <summary>The agent who joined.</summary>
    public string? AgentId { get; set; }

    public string? AgentRawId { get; set; }

    public CallCart? Cart { get; set; }

    /// <summary>The agent the highest-priority <c>call.before_dial</c> routing answer chose: invited first when available.</summary>
    public string? RoutedAgentId { get; set; }

    /// <summary>The hook whose routing answer won.</summary>
    public string? RoutedBy { get; set; }

    /// <summary>Enrichment from the call's <c>call.before_dial</c> hooks (a CRM's customer tier, say), shown next to the cart.</summary>
    public Dictionary<string, string>? HookData { get; set; }

    /// <summary>For a callback: the call it follows up.</summary>
    public string? CallbackOf { get; set; }

    public string? CallbackCallId { get; set; }

    /// <summary>The W3C trace context of the accept that made the call: placing it continues that trace (the offer's).</summary>
    public string? TraceParent { get; set; }

    public bool EndedPublished { get; set; }

    [JsonIgnore]
    public string? ETag { get; set; }

    [JsonIgnore]
    public string ShopperRawId => Mode == CallMode.Phone ? "4:" + ShopperPhone : ShopperAcsUserId ?? "";

    [JsonIgnore]
    public bool IsOver => Status is CallStatus.Ended or CallStatus.Failed;

    [JsonIgnore]
    public bool IsActive => !IsOver;

    public CallRecord Copy()
    {
        var copy = (CallRecord)MemberwiseClone();
        copy.AgentsTried = [.. AgentsTried];
        return copy;
    }
}

/// <summary>Call ids derive from the offer: a second accept of the same offer names the same call.</summary>
public static class CallIds
{
    public static string ForOffer(string offerId) => Hash("offer", offerId);

    /// <summary>The one callback a call may schedule when no agent could take it.</summary>
    public static string CallbackFor(string callId) => Hash("callback", callId);

    private static string Hash(string kind, string value)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\n" + value), hash);
        return "ca_" + Convert.ToHexStringLower(hash[..12]);
    }
}
