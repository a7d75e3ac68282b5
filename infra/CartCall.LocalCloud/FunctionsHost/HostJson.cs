using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// The parts of <c>host.json</c> the local host honours, with the Functions host's defaults where the file is silent:
/// the HTTP route prefix, the queue trigger settings and the Durable task hub.
/// </summary>
public sealed record HostJson
{
    public string RoutePrefix { get; init; } = "api";

    public QueueTriggerSettings Queues { get; init; } = new();

    public DurableTaskSettings DurableTask { get; init; } = new();

    public static HostJson Load(string appDirectory)
    {
        var path = Path.Combine(appDirectory, "host.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no host.json in {appDirectory}: is that the worker's build output?", path);
        }

        return Parse(File.ReadAllText(path));
    }

    public static HostJson Parse(string json)
    {
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
            ?? throw new FormatException("host.json is empty.");
        var extensions = root["extensions"];
        var http = extensions?["http"];
        var queues = extensions?["queues"];
        var durable = extensions?["durableTask"];
        var provider = durable?["storageProvider"];
        var defaults = new QueueTriggerSettings();
        return new HostJson
        {
            // An empty prefix is legal (routes at the root); only a missing one takes the default.
            RoutePrefix = http?["routePrefix"] is JsonValue prefix ? prefix.GetValue<string>().Trim('/') : "api",
            Queues = new QueueTriggerSettings
            {
                BatchSize = Int(queues, "batchSize") ?? defaults.BatchSize,
                NewBatchThreshold = Int(queues, "newBatchThreshold"),
                MaxPollingInterval = Duration(queues, "maxPollingInterval") ?? defaults.MaxPollingInterval,
                VisibilityTimeout = Duration(queues, "visibilityTimeout") ?? defaults.VisibilityTimeout,
                MaxDequeueCount = Int(queues, "maxDequeueCount") ?? defaults.MaxDequeueCount,
                MessageEncoding = Text(queues, "messageEncoding") ?? defaults.MessageEncoding,
            },
            DurableTask = new DurableTaskSettings
            {
                HubName = Text(durable, "hubName") ?? "TestHubName",
                ProviderType = Text(provider, "type") ?? "AzureStorage",
                ConnectionName = Text(provider, "connectionName") ?? Text(provider, "connectionStringName") ?? "AzureWebJobsStorage",
                MaxQueuePollingInterval = Duration(provider, "maxQueuePollingInterval") ?? TimeSpan.FromSeconds(30),
                PartitionCount = Int(provider, "partitionCount") ?? 4,
                ControlQueueVisibilityTimeout = Duration(provider, "controlQueueVisibilityTimeout") ?? TimeSpan.FromMinutes(5),
                WorkItemQueueVisibilityTimeout = Duration(provider, "workItemQueueVisibilityTimeout") ?? TimeSpan.FromMinutes(5),
            },
        };
    }

    private static int? Int(JsonNode? node, string name) => node?[name] is JsonValue v ? v.GetValue<int>() : null;

    private static string? Text(JsonNode? node, string name) => node?[name] is JsonValue v ? v.GetValue<string>() : null;

    private static TimeSpan? Duration(JsonNode? node, string name) =>
        node?[name] is JsonValue v ? TimeSpan.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture) : null;
}

/// <summary>host.json <c>extensions.queues</c>, with the Storage queue extension's defaults.</summary>
public sealed record QueueTriggerSettings
{
    public int BatchSize { get; init; } = 16;

    /// <summary>Null means the extension's default, half the batch size.</summary>
    public int? NewBatchThreshold { get; init; }

    public TimeSpan MaxPollingInterval { get; init; } = TimeSpan.FromMinutes(1);

    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.Zero;

    public int MaxDequeueCount { get; init; } = 5;

    public string MessageEncoding { get; init; } = "base64";
}

/// <summary>host.json <c>extensions.durableTask</c>: the task hub and the Azure Storage provider's polling.</summary>
public sealed record DurableTaskSettings
{
    public string HubName { get; init; } = "TestHubName";

    public string ProviderType { get; init; } = "AzureStorage";

    public string ConnectionName { get; init; } = "AzureWebJobsStorage";

    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(30);

    public int PartitionCount { get; init; } = 4;

    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan WorkItemQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
