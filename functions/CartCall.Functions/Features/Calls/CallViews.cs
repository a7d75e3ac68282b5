using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Calls;

/// <summary>A browser call's credentials: the shopper's ACS user and a VoIP token for it.</summary>
public sealed record AcsTokenView(string UserId, string Token, DateTimeOffset ExpiresOn);

/// <summary>The accept answer (contract: AcceptOffer).</summary>
public sealed record AcceptOfferResponse(
    string CallId, string Status, CallMode? Mode, DateTimeOffset? ScheduledFor, string Reason, AcsTokenView? AcsToken);

/// <summary>GetCallStatus: what the widget follows.</summary>
public sealed record CallStatusView(
    string CallId, CallStatus Status, CallMode Mode, DateTimeOffset? ScheduledFor, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    string? Outcome, double? DurationSeconds)
{
    public static CallStatusView From(CallRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.CallId, c.Status, c.Mode, c.ScheduledFor, c.ConnectedAt, c.EndedAt, c.Outcome, c.DurationSeconds);
    }
}

/// <summary>A call as the agent console shows it: status, who is on it, and the cart it is about.</summary>
public sealed record AgentCallView(
    string CallId, string SessionId, CallStatus Status, CallPhase Phase, CallMode Mode, DateTimeOffset CreatedAt, DateTimeOffset? ScheduledFor,
    DateTimeOffset? ConnectedAt, DateTimeOffset? EndedAt, string? Outcome, string? CurrentAgentId, string? AgentId, string Reason, CallCart? Cart,
    IReadOnlyDictionary<string, string>? HookData = null)
{
    public static AgentCallView From(CallRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.CallId, c.SessionId, c.Status, c.Phase, c.Mode, c.CreatedAt, c.ScheduledFor, c.ConnectedAt, c.EndedAt, c.Outcome,
            c.CurrentAgentId, c.AgentId, c.Reason, c.Cart, c.HookData);
    }
}
