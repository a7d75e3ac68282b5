using CartCall.Domain.Calls;
using Azure.Messaging;
using CartCall.Domain.Preferences;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Calls;

/// <summary>The data of a <c>CartCall.CallEnded</c> CloudEvent: what billing and merchant hooks need.</summary>
public sealed record CallEnded(
    string CallId,
    string OfferId,
    string MerchantId,
    string SessionId,
    CallMode Mode,
    string Outcome,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConnectedAt,
    DateTimeOffset EndedAt,
    double DurationSeconds,
    string? AgentId,
    IReadOnlyList<string> AgentsTried,
    string? Detail,
    string? CallbackCallId)
{
    public const string EventType = "CartCall.CallEnded";

    public static string Source(string merchantId) => $"/merchants/{merchantId}";

    public static string Subject(string callId) => $"calls/{callId}";

    /// <summary>The CloudEvent for the topic. Its id is deterministic: a repeated publish is recognisable downstream as the same event.</summary>
    public CloudEvent ToCloudEvent() =>
        new(Source(MerchantId), EventType, BinaryData.FromObjectAsJson(this, AppJson.Options), "application/json")
        {
            Id = CallId + ".ended",
            Subject = Subject(CallId),
            Time = EndedAt,
        };

    public static CallEnded From(CallRecord c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.CallId, c.OfferId, c.MerchantId, c.SessionId, c.Mode, c.Outcome ?? CallOutcomes.Failed, c.CreatedAt, c.ConnectedAt,
            c.EndedAt ?? c.CreatedAt, c.DurationSeconds ?? 0, c.AgentId, c.AgentsTried, c.Detail, c.CallbackCallId);
    }
}
