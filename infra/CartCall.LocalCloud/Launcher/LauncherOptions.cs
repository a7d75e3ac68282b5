using System.Security.Cryptography;

namespace CartCall.LocalCloud.Launcher;

/// <summary>Ports and knobs of <c>cartcall-local up</c>. Fixed default ports so bookmarks and the README work.</summary>
public sealed record LauncherOptions
{
    public int BlobPort { get; init; } = 10000;
    public int QueuePort { get; init; } = 10001;
    public int TablePort { get; init; } = 10002;
    public int AppPort { get; init; } = 7071;
    public int EventGridPort { get; init; } = 7101;
    public int WebPubSubPort { get; init; } = 7102;
    public int AcsPort { get; init; } = 7103;
    public int StorefrontPort { get; init; } = 7104;
    public int StripePort { get; init; } = 7105;

    /// <summary>Keep Azurite's data in memory only (a fresh store every run) instead of <c>infra/.run/azurite</c>.</summary>
    public bool InMemoryStorage { get; init; }

    /// <summary>Build configuration of the app to run; defaults to the launcher's own.</summary>
    public string Configuration { get; init; } = RepositoryLayout.CurrentConfiguration;

    /// <summary>
    /// A single idle check after this silence (the app's <c>Sessions:Idle</c> as IdleSchedule.Once), for demos that
    /// want an idle offer quickly; null runs the product's schedule.
    /// </summary>
    public TimeSpan? IdleReevaluationDelay { get; init; }

    public string MerchantId { get; init; } = "demo";

    public int AgentCount { get; init; } = 3;

    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a child gets to exit after SIGTERM before it is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Echo the app's log lines on the console as well as into <c>infra/.run/logs/app.log</c>.</summary>
    public bool EchoAppLogs { get; init; }

    public IReadOnlyList<int> AllPorts => [BlobPort, QueuePort, TablePort, AppPort, EventGridPort, WebPubSubPort, AcsPort, StorefrontPort, StripePort];

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        var ports = AllPorts;
        if (ports.Any(p => p is < 1 or > 65535))
        {
            problems.Add("Ports must be between 1 and 65535.");
        }

        if (ports.Distinct().Count() != ports.Count)
        {
            problems.Add("Every service needs its own port; two options name the same one.");
        }

        if (IdleReevaluationDelay is { } idle && (idle < TimeSpan.FromSeconds(1) || idle > TimeSpan.FromDays(1)))
        {
            problems.Add("The idle re-evaluation delay must be between 1 second and 1 day.");
        }

        if (AgentCount is < 0 or > 50)
        {
            problems.Add("The number of demo agents must be between 0 and 50.");
        }

        return problems;
    }
}

/// <summary>Keys made fresh for every run: nothing secret is fixed in the repository.</summary>
public sealed record LocalSecrets(
    string AdminKey, string EventGridTopicKey, string EventGridDeliveryKey, string CookieSigningKey, string MerchantSigningSecret, string StripeWebhookSecret)
{
    public static LocalSecrets Generate() => new(
        AdminKey: Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_'),
        // The Event Grid stand-in signs SAS tokens with the decoded key, so it must be base64 like a real one.
        EventGridTopicKey: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        EventGridDeliveryKey: Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        CookieSigningKey: Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        MerchantSigningSecret: "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)),
        // What the Stripe stand-in signs its webhooks to the app with (Stripe's endpoint secrets look like this).
        StripeWebhookSecret: "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
}
