using System.ComponentModel.DataAnnotations;
using Azure;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CartCall.Functions.Storage;

/// <summary>How lost optimistic-concurrency races are retried. Bound from <c>CartCall:Concurrency</c>.</summary>
public sealed class OptimisticConcurrencyOptions : IValidatableObject
{
    public const string Section = "CartCall:Concurrency";

    /// <summary>Tries in all, the first included; then the conflict is the caller's to answer (503, a dropped count…).</summary>
    [Range(2, 20)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first retry's median delay; later ones grow exponentially, with jitter so contenders spread apart.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:01")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>No retry waits longer than this: the shopper or the storefront is waiting.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:05")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxDelay < BaseDelay)
        {
            yield return new ValidationResult($"{Section}:MaxDelay must be at least BaseDelay.", [nameof(MaxDelay), nameof(BaseDelay)]);
        }
    }
}

/// <summary>
/// Someone else changed the row first (an ETag no longer matched, or a row to be added exists). Thrown by code that
/// learns of the lost race from a return value, and by <see cref="OptimisticConcurrency"/> once its attempts are spent.
/// </summary>
public class ConcurrencyConflictException : Exception
{
    public ConcurrencyConflictException()
    {
    }

    public ConcurrencyConflictException(string message)
        : base(message)
    {
    }

    public ConcurrencyConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// The policy spent its attempts on this row. Not a conflict to retry again: a policy around this one (a session
    /// evaluation around a counter's increment) would otherwise multiply the attempts.
    /// </summary>
    public bool Exhausted { get; init; }
}

/// <summary>
/// The one policy for read-change-write with ETags, defined once for every store (sessions, offers, counters, calls,
/// profiles): run the attempt again on a lost race (HTTP 412 or 409 from Table storage, or a
/// <see cref="ConcurrencyConflictException"/>), with jittered exponential backoff on the app's
/// <see cref="TimeProvider"/>, at most <see cref="OptimisticConcurrencyOptions.MaxAttempts"/> times. Each attempt must
/// read afresh. When the attempts are spent an <see cref="ConcurrencyConflictException.Exhausted"/> conflict is thrown
/// (the last one inside it), which an HTTP function answers with 503 and Retry-After.
/// </summary>
public sealed partial class OptimisticConcurrency
{
    private readonly ResiliencePipeline pipeline;
    private readonly ILogger<OptimisticConcurrency> logger;

    public OptimisticConcurrency(IOptions<OptimisticConcurrencyOptions> options, TimeProvider time, ILogger<OptimisticConcurrency> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.logger = logger ?? throw new ArgumentNullException(nameof(logger));
        var o = options.Value;
        MaxAttempts = o.MaxAttempts;
        pipeline = new ResiliencePipelineBuilder { TimeProvider = time ?? throw new ArgumentNullException(nameof(time)) }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsConflict),
                MaxRetryAttempts = o.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.BaseDelay,
                MaxDelay = o.MaxDelay,
                OnRetry = args =>
                {
                    LogRetry(args.Context.OperationKey ?? "?", args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
    }

    public int MaxAttempts { get; }

    /// <summary>A lost race: Table storage's 412 (the ETag moved on) or 409 (the row to add exists), or our own signal.</summary>
    public static bool IsConflict(Exception e) =>
        e is ConcurrencyConflictException { Exhausted: false } || e is RequestFailedException { Status: 409 or 412 };

    /// <summary>Signals a race lost that a store reported as a return value.</summary>
    public static ConcurrencyConflictException Lost(string what) => new($"{what} was changed meanwhile.");

    /// <summary>Runs <paramref name="attempt"/> until it wins its race; <paramref name="what"/> names the row in logs and errors.</summary>
    public async ValueTask<T> ExecuteAsync<T>(string what, Func<CancellationToken, ValueTask<T>> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var context = ResilienceContextPool.Shared.Get(what, cancellationToken);
        try
        {
            return await pipeline.ExecuteAsync(static (ctx, run) => run(ctx.CancellationToken), context, attempt).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConflict(e))
        {
            throw new ConcurrencyConflictException($"{what} stayed contended for {MaxAttempts} attempts.", e) { Exhausted = true };
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>As <see cref="ExecuteAsync{T}"/>, for an attempt with no result.</summary>
    public async ValueTask ExecuteAsync(string what, Func<CancellationToken, ValueTask> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        await ExecuteAsync(what, async ct =>
        {
            await attempt(ct).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{What} changed concurrently; try {Attempt} follows in {DelayMs:F0} ms")]
    private partial void LogRetry(string what, int attempt, double delayMs);
}
