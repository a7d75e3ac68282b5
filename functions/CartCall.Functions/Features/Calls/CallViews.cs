using CartCall.Domain.Preferences;

namespace CartCall.Functions.Features.Calls;

/// <summary>A browser call's credentials: the shopper's ACS user and a VoIP token for it.</summary>
public sealed record AcsTokenView(string UserId, string Token, DateTimeOffset ExpiresOn);

/// <summary>The accept answer (contract: AcceptOffer). A browser call carries the shopper's token and how to take the call.</summary>
public sealed record AcceptOfferResponse(
    string CallId, string Status, CallMode? Mode, DateTimeOffset? ScheduledFor, string Reason, AcsTokenView? AcsToken, CallingView? Calling = null);

/// <summary>GetCallStatus: what the widget follows.</summary>
/// <param name="Message">The merchant's sentence for the shopper about how the call ended (a hook's veto), shown instead of the widget's own.</param>
public sealed record CallStatusView(
    string CallId, CallStatus Status, CallMode Mode, DateTimeOffset? ScheduledFor, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt,
    string? Outcome, double? DurationSeconds, string? Message = null)
{
    public static CallStatusView From(CallRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.CallId, c.Status, c.Mode, c.ScheduledFor, c.ConnectedAt, c.EndedAt, c.Outcome, c.DurationSeconds, c.ShopperMessage);
    }
}

/// <summary>A call as the agent workspace shows it: status, who is on it, the cart it is about, the shopper's language, the agent's disposition.</summary>
public sealed record AgentCallView(
    string CallId, string SessionId, CallStatus Status, CallPhase Phase, CallMode Mode, DateTimeOffset CreatedAt, DateTimeOffset? ScheduledFor,
    DateTimeOffset? ConnectedAt, DateTimeOffset? EndedAt, string? Outcome, string? CurrentAgentId, string? AgentId, string Reason, CallCart? Cart,
    IReadOnlyDictionary<string, string>? HookData = null)
{
    public string? Language { get; init; }

    public double? DurationSeconds { get; init; }

    public CallDisposition? Disposition { get; init; }

    public static AgentCallView From(CallRecord c, CallDisposition? disposition = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.CallId, c.SessionId, c.Status, c.Phase, c.Mode, c.CreatedAt, c.ScheduledFor, c.ConnectedAt, c.EndedAt, c.Outcome,
            c.CurrentAgentId, c.AgentId, c.Reason, c.Cart, c.HookData)
        {
            Language = c.Language,
            DurationSeconds = c.DurationSeconds,
            Disposition = disposition,
        };
    }
}

/// <summary>What came of a call, in the agent's words: an outcome from a short list and a note.</summary>
public sealed record CallDisposition(DispositionOutcome Outcome, string? Note, string AgentId, DateTimeOffset At);

/// <summary>The outcomes an agent can give a call.</summary>
public enum DispositionOutcome
{
    Sale,
    FollowUp,
    NotInterested,
    Question,
    NoConversation,
    Other,
}
