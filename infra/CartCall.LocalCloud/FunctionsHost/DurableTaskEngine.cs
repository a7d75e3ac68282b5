using System.Collections.Concurrent;
using System.Text.Json;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using P = Microsoft.DurableTask.Protobuf;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// Durable Functions on a real engine made of Microsoft's parts: the Durable Task sidecar (<see cref="TaskHubGrpcServer"/>)
/// over the Azure Storage provider (<see cref="AzureStorageOrchestrationService"/>) on Azurite. The worker's
/// <c>[DurableClient]</c> talks to the sidecar directly; the host takes the sidecar's work items and runs each by
/// invoking the worker's orchestrator or activity function, as the Functions host's Durable extension does.
/// The sidecar neither abandons nor times out a work item whose worker died, so the engine keeps every work item
/// and runs it again on the next worker: an activity may then run twice, as it may in Azure.
/// </summary>
public sealed partial class DurableTaskEngine : IAsyncDisposable
{
    private readonly DurableTaskSettings settings;
    private readonly FunctionInvoker invoker;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Task, bool> running = new();
    private readonly SemaphoreSlim concurrency = new(32);
    private GrpcChannel? channel;
    private Task? pump;

    public DurableTaskEngine(AzureStorageOrchestrationService service, DurableTaskSettings settings, FunctionInvoker invoker, ILogger logger)
    {
        Service = service;
        this.settings = settings;
        this.invoker = invoker;
        this.logger = logger;
    }

    public AzureStorageOrchestrationService Service { get; }

    public string HubName => settings.HubName;

    /// <summary>The sidecar's address, given to the worker's <c>[DurableClient]</c> as <c>rpcBaseUrl</c>.</summary>
    public Uri? SidecarEndpoint { get; private set; }

    /// <summary>Work items run so far, orchestrator episodes and activities.</summary>
    public long OrchestratorEpisodes => Interlocked.Read(ref episodes);

    public long Activities => Interlocked.Read(ref activities);

    private long episodes;
    private long activities;

    /// <summary>The Azure Storage provider as host.json configures it, with the connection string the app uses.</summary>
    public static AzureStorageOrchestrationService CreateService(string connectionString, DurableTaskSettings settings, TimeSpan? maxPollingOverride, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ProviderType.Equals("AzureStorage", StringComparison.OrdinalIgnoreCase))
        {
            throw new WorkerStartupException($"host.json's durableTask storage provider is '{settings.ProviderType}'; the local host runs the AzureStorage provider only.");
        }

        return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = settings.HubName,
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            PartitionCount = settings.PartitionCount,
            MaxQueuePollingInterval = maxPollingOverride ?? settings.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = settings.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = settings.WorkItemQueueVisibilityTimeout,
            LoggerFactory = loggers,
        });
    }

    /// <summary>Adds the sidecar to the host's gRPC server.</summary>
    /// <param name="services">The gRPC server's services.</param>
    /// <param name="service">The provider as the sidecar dispatches from it (<see cref="SidecarOrchestrationService"/>).</param>
    /// <param name="client">The same provider, as the sidecar's client API uses it.</param>
    public static void AddSidecar(IServiceCollection services, IOrchestrationService service, IOrchestrationServiceClient client)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(service);
        services.AddSingleton(client);
        services.AddSingleton<TaskHubGrpcServer>();
    }

    /// <summary>The <c>[DurableClient]</c> binding data, as the Durable extension sends it.</summary>
    public string ClientBindingJson(Uri httpBase) => JsonSerializer.Serialize(new
    {
        taskHubName = settings.HubName,
        connectionName = settings.ConnectionName,
        rpcBaseUrl = SidecarEndpoint!.AbsoluteUri,
        requiredQueryStringParameters = "",
        httpBaseUrl = new Uri(httpBase, "runtime/webhooks/durabletask").AbsoluteUri,
        maxGrpcMessageSizeInBytes = int.MaxValue,
        // The extension reads this one as JSON again: a TimeSpan encoded inside the string.
        grpcHttpClientTimeout = JsonSerializer.Serialize(TimeSpan.FromSeconds(100)),
    });

    /// <summary>Creates the task hub's queues and tables, and starts taking work items from the sidecar.</summary>
    public async Task StartAsync(Uri sidecarEndpoint, CancellationToken cancellationToken)
    {
        SidecarEndpoint = sidecarEndpoint;
        await Service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        channel = GrpcChannel.ForAddress(sidecarEndpoint, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        pump = Task.Run(() => PumpAsync(stopping.Token), CancellationToken.None);
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        var client = new P.TaskHubSidecarService.TaskHubSidecarServiceClient(channel);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // No history streaming: the worker cannot replay a streamed history.
                using var call = client.GetWorkItems(new P.GetWorkItemsRequest
                {
                    MaxConcurrentOrchestrationWorkItems = 16,
                    MaxConcurrentActivityWorkItems = 16,
                }, cancellationToken: ct);
                await foreach (var item in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await concurrency.WaitAsync(ct).ConfigureAwait(false);
                    var task = Task.Run(() => RunAsync(client, item, ct), CancellationToken.None);
                    running[task] = true;
                    _ = task.ContinueWith(t => { running.TryRemove(t, out _); concurrency.Release(); }, TaskScheduler.Default);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
                return;
            }
            catch (Grpc.Core.RpcException e)
            {
                LogStreamBroke(e.Status.Detail);
                await Task.Delay(TimeSpan.FromMilliseconds(200), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RunAsync(P.TaskHubSidecarService.TaskHubSidecarServiceClient client, P.WorkItem item, CancellationToken ct)
    {
        try
        {
            switch (item.RequestCase)
            {
                case P.WorkItem.RequestOneofCase.OrchestratorRequest:
                    var episode = await RunOrchestratorAsync(item.OrchestratorRequest, ct).ConfigureAwait(false);
                    episode.CompletionToken = item.CompletionToken;
                    await client.CompleteOrchestratorTaskAsync(episode, cancellationToken: ct).ConfigureAwait(false);
                    Interlocked.Increment(ref episodes);
                    break;
                case P.WorkItem.RequestOneofCase.ActivityRequest:
                    var result = await RunActivityAsync(item.ActivityRequest, ct).ConfigureAwait(false);
                    result.CompletionToken = item.CompletionToken;
                    await client.CompleteActivityTaskAsync(result, cancellationToken: ct).ConfigureAwait(false);
                    Interlocked.Increment(ref activities);
                    break;
                default:
                    LogUnsupportedWorkItem(item.RequestCase.ToString());
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the provider hands the work item out again after its visibility ends.
        }
        catch (Grpc.Core.RpcException e)
        {
            LogCompleteFailed(item.RequestCase.ToString(), e.Status.Detail);
        }
    }

    /// <summary>Runs one orchestrator episode, again on the next worker if the worker goes away meanwhile.</summary>
    private async Task<P.OrchestratorResponse> RunOrchestratorAsync(P.OrchestratorRequest request, CancellationToken ct)
    {
        var name = request.PastEvents.Concat(request.NewEvents).FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted.Name;
        var function = name is null ? null : Find(TriggerKind.Orchestration, name);
        if (function is null)
        {
            return Failed(request.InstanceId, "OrchestratorNotFound", $"No orchestrator function is named '{name}'.");
        }

        var payload = Convert.ToBase64String(Google.Protobuf.MessageExtensions.ToByteArray(request));
        while (true)
        {
            try
            {
                var response = await invoker.InvokeAsync(function.Name, r =>
                {
                    r.InputData.Add(new ParameterBinding { Name = function.Trigger.Name, Data = FunctionInvoker.Text(payload) });
                    r.TriggerMetadata["instanceId"] = FunctionInvoker.Text(request.InstanceId);
                }, TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
                var text = FunctionInvoker.ReturnText(response) ?? "";
                if (text.StartsWith('"'))
                {
                    text = JsonSerializer.Deserialize<string>(text) ?? "";
                }

                return P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(text));
            }
            catch (WorkerUnavailableException e)
            {
                LogRetryOnNextWorker(function.Name, request.InstanceId, e.Message);
            }
            catch (FunctionFailedException e)
            {
                return Failed(request.InstanceId, e.Rpc?.Type ?? "OrchestratorFailed", e.Rpc?.Message ?? e.Message);
            }
            catch (FormatException e)
            {
                return Failed(request.InstanceId, "InvalidOrchestratorResponse", e.Message);
            }
        }
    }

    /// <summary>Runs one activity, again on the next worker if the worker goes away meanwhile.</summary>
    private async Task<P.ActivityResponse> RunActivityAsync(P.ActivityRequest request, CancellationToken ct)
    {
        var answer = new P.ActivityResponse { InstanceId = request.OrchestrationInstance.InstanceId, TaskId = request.TaskId };
        var function = Find(TriggerKind.Activity, request.Name);
        if (function is null)
        {
            answer.FailureDetails = new P.TaskFailureDetails { ErrorType = "ActivityNotFound", ErrorMessage = $"No activity function is named '{request.Name}'." };
            return answer;
        }

        var input = UnwrapInput(request.Input);
        while (true)
        {
            try
            {
                var response = await invoker.InvokeAsync(function.Name, r =>
                {
                    r.InputData.Add(new ParameterBinding { Name = function.Trigger.Name, Data = input is null ? new TypedData() : FunctionInvoker.Json(input) });
                    r.TriggerMetadata["instanceId"] = FunctionInvoker.Text(request.OrchestrationInstance.InstanceId);
                }, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
                answer.Result = response.ReturnValue?.DataCase switch
                {
                    TypedData.DataOneofCase.String => JsonSerializer.Serialize(response.ReturnValue.String),
                    null or TypedData.DataOneofCase.None => null,
                    _ => FunctionInvoker.ReturnText(response),
                };
                return answer;
            }
            catch (WorkerUnavailableException e)
            {
                LogRetryOnNextWorker(function.Name, request.OrchestrationInstance.InstanceId, e.Message);
            }
            catch (FunctionFailedException e)
            {
                answer.FailureDetails = FailureFrom(e);
                return answer;
            }
        }
    }

    /// <summary>The sidecar passes activity input as a one-element JSON array; the Durable extension unwraps it.</summary>
    internal static string? UnwrapInput(string? input)
    {
        if (string.IsNullOrEmpty(input))
        {
            return null;
        }

        using var document = JsonDocument.Parse(input);
        return document.RootElement.ValueKind == JsonValueKind.Array
            ? document.RootElement.GetArrayLength() == 0 ? null : document.RootElement[0].GetRawText()
            : document.RootElement.GetRawText();
    }

    /// <summary>The worker reports an activity's exception as JSON in the failure's message, when it can.</summary>
    private static P.TaskFailureDetails FailureFrom(FunctionFailedException e)
    {
        var message = e.Rpc?.Message ?? e.Message;
        try
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorType", out var type))
            {
                return new P.TaskFailureDetails
                {
                    ErrorType = type.GetString() ?? "",
                    ErrorMessage = root.TryGetProperty("errorMessage", out var m) ? m.GetString() ?? "" : "",
                    StackTrace = root.TryGetProperty("stackTrace", out var s) ? s.GetString() : null,
                };
            }
        }
        catch (JsonException)
        {
            // A plain message.
        }

        return new P.TaskFailureDetails { ErrorType = e.Rpc?.Type ?? "ActivityFailed", ErrorMessage = message, StackTrace = e.Rpc?.StackTrace };
    }

    private static P.OrchestratorResponse Failed(string instanceId, string type, string message)
    {
        var response = new P.OrchestratorResponse { InstanceId = instanceId };
        response.Actions.Add(new P.OrchestratorAction
        {
            CompleteOrchestration = new P.CompleteOrchestrationAction
            {
                OrchestrationStatus = P.OrchestrationStatus.Failed,
                FailureDetails = new P.TaskFailureDetails { ErrorType = type, ErrorMessage = message },
            },
        });
        return response;
    }

    private FunctionDescriptor? Find(TriggerKind kind, string name) =>
        invoker.Supervisor.Functions.FirstOrDefault(f => f.Kind == kind && f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (pump is not null)
        {
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await Task.WhenAll(running.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        channel?.Dispose();
        stopping.Dispose();
        concurrency.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sidecar's work-item stream broke ({Detail}); reconnecting")]
    private partial void LogStreamBroke(string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} work item is not supported by the local host")]
    private partial void LogUnsupportedWorkItem(string kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Completing a {Kind} work item failed: {Detail}")]
    private partial void LogCompleteFailed(string kind, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} for instance {InstanceId} lost its worker ({Reason}); it runs again on the next one")]
    private partial void LogRetryOnNextWorker(string function, string instanceId, string reason);
}
