using System.ComponentModel.DataAnnotations;
using CartCall.Domain.Offers;

namespace CartCall.Functions.Features.Sessions;

/// <summary>How quiet sessions are re-scored and how long an offer stands. Bound from <c>CartCall:Sessions</c>.</summary>
public sealed class CartSessionOptions : IValidatableObject
{
    public const string Section = "CartCall:Sessions";

    /// <summary>When a session that has gone quiet is scored again (<see cref="IdleSchedule"/>, Scoring/README.md).</summary>
    public IdleScheduleOptions Idle { get; set; } = new();

    /// <summary>An offer not answered within this is withdrawn.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan OfferLifetime { get; set; } = TimeSpan.FromMinutes(10);

    private IdleSchedule? schedule;

    /// <summary>The domain's schedule for these settings, built once (options are not changed after start-up).</summary>
    public IdleSchedule Schedule => schedule ??= Idle.ToSchedule();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        Idle.ToSchedule().Validate().Select(p => new ValidationResult($"{Section}:{p}", [nameof(Idle)]));
}

/// <summary>
/// The idle schedule's settings (<c>CartCall:Sessions:Idle</c>); anything left out keeps <see cref="IdleSchedule.Default"/>'s
/// value: checks at 30 s, 90 s and 3 min of silence, then every 5 min up to 20 min; sessions expire 4 h after their
/// first event. <c>FirstChecks</c> is a list (<c>FirstChecks:0</c>, <c>FirstChecks:1</c> …).
/// </summary>
public sealed class IdleScheduleOptions
{
    // Null rather than the default list: the configuration binder appends to a list it finds, so a default here would
    // be extended by the settings instead of replaced.
    public TimeSpan[]? FirstChecks { get; set; }

    public TimeSpan RepeatEvery { get; set; } = IdleSchedule.Default.RepeatEvery;

    public TimeSpan StopAfter { get; set; } = IdleSchedule.Default.StopAfter;

    public TimeSpan SessionLifetime { get; set; } = IdleSchedule.Default.SessionLifetime;

    public IdleSchedule ToSchedule() =>
        new(FirstChecks is { Length: > 0 } checks ? checks : IdleSchedule.Default.FirstChecks, RepeatEvery, StopAfter, SessionLifetime);
}
