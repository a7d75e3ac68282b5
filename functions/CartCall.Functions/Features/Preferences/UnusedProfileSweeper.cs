using System.Threading.RateLimiting;
using CartCall.Functions.Features.BrowserEvents;
using CartCall.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Preferences;

/// <summary>
/// Limits how many profiles unauthenticated requests may have stored: per client address and merchant, and per
/// merchant, in fixed windows of <see cref="PreferencesOptions.AnonymousProfileWindow"/> (per instance, like the
/// browser-event limits, which share the same windowed limiter).
/// </summary>
public sealed class ProfileCreationLimiter : IDisposable
{
    private readonly BrowserEventLimiter limiter;
    private readonly PreferencesOptions options;

    public ProfileCreationLimiter(IOptions<PreferencesOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        limiter = new BrowserEventLimiter(Options.Create(new BrowserEventOptions { Window = this.options.AnonymousProfileWindow }), time);
    }

    /// <summary>Counts one new profile; null when within both limits, else how long until a new one may be stored.</summary>
    public TimeSpan? TryCreate(string merchantId, string? clientAddress) =>
        limiter.TryAcquire($"a|{merchantId}|{clientAddress ?? "unknown"}", options.AnonymousProfilesPerAddress)
        ?? limiter.TryAcquire($"m|{merchantId}", options.AnonymousProfilesPerMerchant);

    public void Dispose() => limiter.Dispose();
}

/// <summary>Erases profiles that nobody came back for, <see cref="PreferencesOptions.UnusedProfileLifetime"/> after they were made.</summary>
public sealed partial class UnusedProfileSweeper(TableProfileStore profiles, IOptions<PreferencesOptions> options, TimeProvider time, ILogger<UnusedProfileSweeper> logger)
{
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var deleted = await profiles.DeleteUnusedAsync(time.GetUtcNow() - options.Value.UnusedProfileLifetime, cancellationToken).ConfigureAwait(false);
        LogSwept(deleted);
        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased {Count} shopper profiles nobody came back for")]
    private partial void LogSwept(int count);
}

/// <summary>Timer-triggered, hourly: <see cref="UnusedProfileSweeper"/>.</summary>
public sealed class ExpireUnusedProfiles(UnusedProfileSweeper sweeper)
{
    [Function(nameof(ExpireUnusedProfiles))]
    public Task RunAsync([TimerTrigger("0 23 * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
