using CartCall.Functions.Features.BrowserEvents;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.BrowserEvents;

public sealed class BrowserEventLimiterTests
{
    private readonly ManualClock clock = new();

    private BrowserEventLimiter Limiter(int maxKeys = 100) =>
        new(Options.Create(new BrowserEventOptions { Window = TimeSpan.FromMinutes(1), MaxTrackedKeys = maxKeys }), clock);

    /// <summary>Windows are aligned to the app's clock: move it to the start of one.</summary>
    private void StartOfAWindow()
    {
        var intoWindow = TimeSpan.FromTicks(clock.GetUtcNow().UtcTicks % TimeSpan.FromMinutes(1).Ticks);
        clock.Advance(TimeSpan.FromMinutes(1) - intoWindow);
    }

    [Fact]
    public void OverTheLimit_SaysHowLongUntilTheWindowEnds_AndTheNextWindowStartsAfresh()
    {
        StartOfAWindow();
        using var limiter = Limiter();
        Assert.Null(limiter.TryAcquire("k", 2));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(limiter.TryAcquire("k", 2));

        var wait = limiter.TryAcquire("k", 2);

        Assert.NotNull(wait);
        Assert.InRange(wait!.Value, TimeSpan.FromSeconds(39), TimeSpan.FromSeconds(40));
        clock.Advance(TimeSpan.FromSeconds(41));
        Assert.Null(limiter.TryAcquire("k", 2));
    }

    [Fact]
    public void Keys_AreCountedApart()
    {
        StartOfAWindow();
        using var limiter = Limiter();
        Assert.Null(limiter.TryAcquire("a", 1));
        Assert.NotNull(limiter.TryAcquire("a", 1));

        Assert.Null(limiter.TryAcquire("b", 1));
    }

    [Fact]
    public void StaleWindows_AreSweptOnceThereAreTooMany()
    {
        StartOfAWindow();
        using var limiter = Limiter(maxKeys: 100);
        for (var i = 0; i < 101; i++)
        {
            limiter.TryAcquire("k" + i, 1);
        }

        Assert.Equal(101, limiter.TrackedKeys);

        clock.Advance(TimeSpan.FromMinutes(2));
        limiter.TryAcquire("fresh", 1);

        Assert.Equal(1, limiter.TrackedKeys);
    }

    [Fact]
    public void AFloodOfLiveKeys_StaysBounded()
    {
        StartOfAWindow();
        using var limiter = Limiter(maxKeys: 100);
        var peak = 0;
        for (var i = 0; i < 300; i++)
        {
            // 300 keys in 45 s: all still live in the one-minute window, so only clearing can bound them.
            limiter.TryAcquire("k" + i, 1);
            clock.Advance(TimeSpan.FromMilliseconds(150));
            peak = Math.Max(peak, limiter.TrackedKeys);
        }

        // At most the cap and the one key that finds it exceeded (the window's limiter then starts afresh).
        Assert.InRange(peak, 101, 110);
    }
}
