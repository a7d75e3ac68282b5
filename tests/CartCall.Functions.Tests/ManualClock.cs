namespace CartCall.Functions.Tests;

/// <summary>A clock a test can move forward. Timers stay real (the base class's), only "now" is ours.</summary>
public sealed class ManualClock : TimeProvider
{
    private long offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);
}
