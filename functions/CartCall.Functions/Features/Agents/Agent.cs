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

    /// <summary>
    /// Where the agent takes calls: <c>browser</c> (the agent workspace, invited by <see cref="AcsUserId"/>) or
    /// <c>phone</c> (<see cref="PhoneNumber"/>). Null (agents registered before this existed): the ACS identity when
    /// there is one, else the phone.
    /// </summary>
    public AgentDevice? TakesCallsOn { get; set; }

    /// <summary>Lower is tried first when a call needs an agent.</summary>
    public int Priority { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>How routing reaches the agent, as a raw identifier on a call; null when they cannot be reached.</summary>
    [JsonIgnore]
    public string? RawId => Device switch
    {
        AgentDevice.Browser => AcsUserId,
        AgentDevice.Phone => "4:" + PhoneNumber,
        _ => null,
    };

    /// <summary>Where routing reaches the agent now: the chosen device when it is set up, else none.</summary>
    [JsonIgnore]
    public AgentDevice? Device => TakesCallsOn switch
    {
        AgentDevice.Browser => AcsUserId is { Length: > 0 } ? AgentDevice.Browser : null,
        AgentDevice.Phone => PhoneNumber is { Length: > 0 } ? AgentDevice.Phone : null,
        _ => AcsUserId is { Length: > 0 } ? AgentDevice.Browser : PhoneNumber is { Length: > 0 } ? AgentDevice.Phone : null,
    };
}

/// <summary>Where an agent takes calls.</summary>
public enum AgentDevice
{
    /// <summary>In the agent workspace, with the agent's ACS identity.</summary>
    Browser,

    /// <summary>On their phone number, over the PSTN.</summary>
    Phone,
}
