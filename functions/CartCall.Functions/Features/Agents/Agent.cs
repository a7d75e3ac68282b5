using System.Text.Json.Serialization;
using CartCall.Domain.Calls;

namespace CartCall.Functions.Features.Agents;

/// <summary>A merchant's sales agent, how to reach them, and (when read) what they are doing.</summary>
public sealed class Agent
{
    public string Id { get; set; } = "";

    public string DisplayName { get; set; } = "";

    /// <summary>
    /// On write: the agent makes themselves available or away. On read: whether routing may offer them a call now
    /// (available, or a wrap-up that is over).
    /// </summary>
    public bool Available { get; set; }

    /// <summary>What the agent is doing: available, reserved (ringing), busy, wrap_up or away. Read only.</summary>
    [JsonPropertyName("status")]
    public AgentStatus? Status { get; set; }

    /// <summary>The call holding them (reserved or busy). Read only.</summary>
    public string? CallId { get; set; }

    /// <summary>Since when they are in <see cref="Status"/>. Read only.</summary>
    public DateTimeOffset? StatusSince { get; set; }

    /// <summary>When a wrap-up ends. Read only.</summary>
    public DateTimeOffset? WrapUpUntil { get; set; }

    /// <summary>E.164 number for agents who take calls on a phone.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>ACS user id (8:acs:…) for agents who answer in the agent workspace.</summary>
    public string? AcsUserId { get; set; }

    /// <summary>Lower is tried first when a call needs an agent.</summary>
    public int Priority { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>How routing reaches the agent, as a raw identifier on a call; null when they cannot be reached.</summary>
    [JsonIgnore]
    public string? RawId => AcsUserId is { Length: > 0 } user ? user : PhoneNumber is { Length: > 0 } phone ? "4:" + phone : null;
}
