namespace CartCall.Functions.Features.Agents;

/// <summary>A merchant's sales agent and how to reach them.</summary>
public sealed class Agent
{
    public string Id { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public bool Available { get; set; }

    /// <summary>E.164 number for agents who take calls on a phone.</summary>
    public string? PhoneNumber { get; set; }

    /// <summary>ACS user id (8:acs:…) for agents who answer in the agent console.</summary>
    public string? AcsUserId { get; set; }

    /// <summary>Lower is tried first when a call needs an agent.</summary>
    public int Priority { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }
}
