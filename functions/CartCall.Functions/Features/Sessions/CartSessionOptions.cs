using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Features.Sessions;

/// <summary>How sessions are re-evaluated and how long an offer stands. Bound from <c>Sessions</c>.</summary>
public sealed class CartSessionOptions
{
    public const string Section = "CartCall:Sessions";

    /// <summary>Silence is a signal: a session is scored again this long after its last event.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00")]
    public TimeSpan IdleReevaluationDelay { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>An offer not answered within this is withdrawn.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan OfferLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
