using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Features.Hooks;

/// <summary>How merchant hooks are run. Bound from <c>CartCall:Hooks</c> and validated at start-up.</summary>
public sealed class HooksOptions : IValidatableObject
{
    public const string Section = "CartCall:Hooks";

    /// <summary>
    /// Development only: webhooks on loopback (http://127.0.0.1…) may be registered and called. Off in Azure, where
    /// webhooks must be public https hosts and connections to private addresses are refused at connect time too.
    /// </summary>
    public bool AllowLoopbackWebhooks { get; set; }

    /// <summary>At most this many of one merchant's hooks run at once at one lifecycle point (the fan-out's window).</summary>
    [Range(1, 100)]
    public int MaxConcurrencyPerMerchant { get; set; } = 10;

    /// <summary>The largest event (CloudEvent JSON) a hook is sent, and that a dead letter keeps for replay.</summary>
    [Range(1_024, 256 * 1_024)]
    public int MaxPayloadBytes { get; set; } = 256 * 1_024;

    /// <summary>What the shopper sees when a fail-closed hook gave no answer (a default: not required of a deployment).</summary>
    [StringLength(200, MinimumLength = 1)]
    public string DefaultShopperMessage { get; set; } = CartCall.Domain.Hooks.HookAggregation.DefaultShopperMessage;

    /// <summary>
    /// How long <c>call.before_dial</c>'s hooks may hold the call (the shopper is waiting): a durable timer races them
    /// and the call goes on with the answers it has, a missing one following its hook's fail-open/closed setting.
    /// </summary>
    public TimeSpan BeforeDialDeadline { get; set; } = TimeSpan.FromSeconds(2);

    public WebhookHookOptions Webhooks { get; set; } = new();

    public ProcessHookOptions Processes { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BeforeDialDeadline < TimeSpan.FromMilliseconds(200) || BeforeDialDeadline > TimeSpan.FromSeconds(30))
        {
            yield return new("Hooks:BeforeDialDeadline must be between 200 ms and 30 s.", [nameof(BeforeDialDeadline)]);
        }

        foreach (var result in Webhooks.Validate())
        {
            yield return result;
        }

        foreach (var result in Processes.Validate())
        {
            yield return result;
        }
    }
}

public sealed class WebhookHookOptions
{
    /// <summary>TCP (and TLS) connect timeout; the registration's timeout bounds the whole attempt.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A longer answer is that hook's invalid output (and is not read further).</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1_024;

    /// <summary>The circuit opens when at least this share of the sampled attempts failed transiently…</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>…and at least this many attempts were made in the sampling window.</summary>
    public int BreakerMinimumThroughput { get; set; } = 5;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit refuses attempts before one trial attempt is let through.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    internal IEnumerable<ValidationResult> Validate()
    {
        if (ConnectTimeout < TimeSpan.FromMilliseconds(100) || ConnectTimeout > TimeSpan.FromSeconds(30))
        {
            yield return new("Hooks:Webhooks:ConnectTimeout must be between 100 ms and 30 s.", [nameof(ConnectTimeout)]);
        }

        if (MaxResponseBytes is < 1_024 or > 1_024 * 1_024)
        {
            yield return new("Hooks:Webhooks:MaxResponseBytes must be between 1 KiB and 1 MiB.", [nameof(MaxResponseBytes)]);
        }

        // Polly's own bounds: it would throw on first use otherwise.
        if (BreakerFailureRatio is <= 0 or > 1)
        {
            yield return new("Hooks:Webhooks:BreakerFailureRatio must be in (0, 1].", [nameof(BreakerFailureRatio)]);
        }

        if (BreakerMinimumThroughput < 2)
        {
            yield return new("Hooks:Webhooks:BreakerMinimumThroughput must be at least 2.", [nameof(BreakerMinimumThroughput)]);
        }

        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500) || BreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return new("Hooks:Webhooks:BreakerSamplingDuration and BreakerBreakDuration must be at least 500 ms.",
                [nameof(BreakerSamplingDuration), nameof(BreakerBreakDuration)]);
        }
    }
}

public sealed class ProcessHookOptions
{
    /// <summary>The allow-list: the name a registration uses as its target, and what that name runs.</summary>
    public Dictionary<string, HookExecutable> Executables { get; set; } = new(StringComparer.Ordinal);

    /// <summary>At most this many hook processes run at once on one instance (all merchants together).</summary>
    public int MaxConcurrentProcesses { get; set; } = 8;

    /// <summary>More standard output than this is that hook's invalid output; the process is killed.</summary>
    public int MaxOutputBytes { get; set; } = 64 * 1_024;

    /// <summary>Standard error is kept up to this much for the delivery record; the rest is read and dropped.</summary>
    public int MaxErrorBytes { get; set; } = 4 * 1_024;

    /// <summary>
    /// On Linux and macOS, the program that starts each hook in a new session and process group (util-linux
    /// <c>setsid</c>), so a timeout can kill the whole group, grandchildren included. Null or missing: only the
    /// process tree .NET can see is killed.
    /// </summary>
    public string? ProcessGroupLauncher { get; set; } = "/usr/bin/setsid";

    internal IEnumerable<ValidationResult> Validate()
    {
        if (MaxConcurrentProcesses is < 1 or > 256)
        {
            yield return new("Hooks:Processes:MaxConcurrentProcesses must be between 1 and 256.", [nameof(MaxConcurrentProcesses)]);
        }

        if (MaxOutputBytes is < 1_024 or > 1_024 * 1_024 || MaxErrorBytes is < 0 or > 1_024 * 1_024)
        {
            yield return new("Hooks:Processes:MaxOutputBytes must be 1 KiB–1 MiB and MaxErrorBytes 0–1 MiB.", [nameof(MaxOutputBytes), nameof(MaxErrorBytes)]);
        }

        foreach (var (name, executable) in Executables)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                yield return new($"Hooks:Processes:Executables: '{name}' must be 1–64 letters, digits, '-', '_' or '.'.", [nameof(Executables)]);
            }

            if (string.IsNullOrWhiteSpace(executable.Path) || !System.IO.Path.IsPathFullyQualified(executable.Path))
            {
                yield return new($"Hooks:Processes:Executables:{name}:Path must be an absolute path (PATH is not searched).", [nameof(Executables)]);
            }
            else if (!File.Exists(executable.Path))
            {
                yield return new($"Hooks:Processes:Executables:{name}:Path '{executable.Path}' does not exist.", [nameof(Executables)]);
            }
        }
    }
}

/// <summary>One allow-listed executable.</summary>
public sealed class HookExecutable
{
    /// <summary>Absolute path of the program (a script needs its #! line and the execute bit).</summary>
    public string Path { get; set; } = "";

    public List<string> Arguments { get; set; } = [];

    /// <summary>Null: the system's temporary directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// The whole environment the process gets, besides the CARTCALL_HOOK_* variables: nothing of the app's own
    /// environment (connection strings, keys) is inherited. Add PATH here if the program needs it.
    /// </summary>
    public Dictionary<string, string> Environment { get; set; } = new(StringComparer.Ordinal);
}
