namespace CartCall.Domain.Hooks;

/// <summary>The documented limits of a hook registration and of what a hook may answer.</summary>
public static class HookBounds
{
    public const int MaxIdLength = 64;
    public const int MaxTargetLength = 2_048;
    public const int MaxHooksPerMerchant = 200;

    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(30);

    public const int MinAttempts = 1;
    public const int MaxAttempts = 10;
    public static readonly TimeSpan MinFirstInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxFirstInterval = TimeSpan.FromMinutes(5);
    public const double MinBackoffCoefficient = 1.0;
    public const double MaxBackoffCoefficient = 10.0;
    public static readonly TimeSpan MaxMaxInterval = TimeSpan.FromHours(1);

    /// <summary>A hook asking for a longer pause (<c>Retry-After</c>) gets this much at most.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    public const int MinPriority = -1_000;
    public const int MaxPriority = 1_000;

    /// <summary>A veto's reason is shown to the shopper: a sentence, not a document.</summary>
    public const int MaxReasonLength = 200;

    public const int MaxAgentIdLength = 128;
    public const int MaxDataEntries = 32;
    public const int MaxDataKeyLength = 64;
    public const int MaxDataValueLength = 1_024;
}
