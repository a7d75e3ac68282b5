using CartCall.Domain.Calls.Flow;
using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Features.Calls;

/// <summary>How calls are placed and guarded. Bound from <c>CartCall:Calls</c>.</summary>
public sealed class CallsOptions : IValidatableObject
{
    public const string Section = "CartCall:Calls";

    /// <summary>
    /// The app's address as ACS reaches it; callbacks go to <c>{PublicBaseUrl}/api/calls/{callId}/events</c>.
    /// Null: the address the app itself listens on (local runs).
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>A prompt (wav) played to the shopper once connected, before the agent is added; null plays none.</summary>
    public Uri? GreetingPromptUrl { get; set; }

    /// <summary>Played when no agent answers, before hanging up; null hangs up at once.</summary>
    public Uri? ApologyPromptUrl { get; set; }

    /// <summary>How long each agent's phone or console rings before the next agent is tried.</summary>
    [Range(1, 180)]
    public int AgentInvitationTimeoutSeconds { get; set; } = 20;

    [Range(0, 1000)]
    public int MaxCallsPerNumberPerHour { get; set; } = 3;

    [Range(0, 1000)]
    public int MaxCallsPerSessionPerHour { get; set; } = 3;

    [Range(0, 10000)]
    public int MaxCallsPerClientAddressPerHour { get; set; } = 10;

    /// <summary>When nobody could take a phone call, the shopper is called back this much later.</summary>
    public TimeSpan AgentUnavailableCallbackDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Lifetime of the VoIP token a browser call's shopper receives (ACS allows 1–24 h).</summary>
    public TimeSpan ShopperTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the shopper's phone may ring (or the answer be lost) before the app asks ACS.</summary>
    public TimeSpan RingTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a call in progress is checked against ACS, in case a hang-up's callback was lost.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest a call may run; then it is ended for everyone.</summary>
    public TimeSpan MaxCallLength { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>How long a prompt may take to play.</summary>
    public TimeSpan PromptTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long the app waits for a call to end after it hung up.</summary>
    public TimeSpan HangUpTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After a call, the agent writes it up for this long before routing offers them another.</summary>
    public TimeSpan WrapUp { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The waits of a call, for its orchestration. The agent's invitation gets a margin over ACS's own timeout.</summary>
    public CallTimings Timings() => new(
        Ringing: RingTimeout,
        AgentInvitation: TimeSpan.FromSeconds(AgentInvitationTimeoutSeconds) + TimeSpan.FromSeconds(10),
        CheckInterval: CheckInterval,
        MaxCallLength: MaxCallLength,
        Prompt: PromptTimeout,
        HangUp: HangUpTimeout);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            yield return new ValidationResult("Calls:PublicBaseUrl must be an absolute http(s) URL.", [nameof(PublicBaseUrl)]);
        }

        if (ShopperTokenLifetime < TimeSpan.FromHours(1) || ShopperTokenLifetime > TimeSpan.FromHours(24))
        {
            yield return new ValidationResult("Calls:ShopperTokenLifetime must be between 1 and 24 hours.", [nameof(ShopperTokenLifetime)]);
        }

        foreach (var problem in Timings().Problems())
        {
            yield return new ValidationResult("Calls: " + problem, [nameof(RingTimeout), nameof(CheckInterval), nameof(MaxCallLength), nameof(PromptTimeout), nameof(HangUpTimeout)]);
        }

        if (WrapUp < TimeSpan.Zero || WrapUp > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Calls:WrapUp must be between 0 and 1 hour.", [nameof(WrapUp)]);
        }

        if (AgentUnavailableCallbackDelay < TimeSpan.Zero || AgentUnavailableCallbackDelay > TimeSpan.FromDays(6))
        {
            yield return new ValidationResult("Calls:AgentUnavailableCallbackDelay must be between 0 and 6 days.", [nameof(AgentUnavailableCallbackDelay)]);
        }
    }
}
