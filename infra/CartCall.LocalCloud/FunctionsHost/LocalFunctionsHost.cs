using System.Collections.Concurrent;
using DurableTask.Core;
using Azure.Storage.Queues;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>How the local Functions host runs an app.</summary>
public sealed record LocalFunctionsHostOptions
{
    /// <summary>The worker's build or publish output: <c>host.json</c>, <c>functions.metadata</c>, <c>worker.config.json</c>.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>How the worker is started: a process as the Functions host does, or in the caller's process.</summary>
    public required IWorkerLauncher Launcher { get; init; }

    /// <summary>The app settings (local.settings.json <c>Values</c>); <c>AzureWebJobsStorage</c> is the triggers' and Durable's storage.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Loopback port for HTTP triggers; 0 takes a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Loopback port of the host's gRPC server (FunctionRpc and the Durable sidecar); 0 takes a free one.</summary>
    public int GrpcPort { get; init; }

    /// <summary>Overrides host.json's <c>maxQueuePollingInterval</c> (the provider backs off to it when idle).</summary>
    public TimeSpan? DurablePollingInterval { get; init; }

    /// <summary>Overrides host.json's queue <c>maxPollingInterval</c>, so tests need not wait for an idle queue's back-off.</summary>
    public TimeSpan? QueuePollingInterval { get; init; }

    /// <summary>How long one invocation may run (host.json's <c>functionTimeout</c> under a plan).</summary>
    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Every log line the worker sends (its console logger is removed: all its logs come over the stream).</summary>
    public Action<string, RpcLog>? OnWorkerLog { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The Azure Functions host, played locally (Core Tools cannot be installed here). It starts the isolated worker and
/// speaks the host↔worker gRPC protocol to it, then serves exactly the functions the worker declares: HTTP triggers at
/// their routes (forwarded to the worker's ASP.NET Core integration), queue triggers polled from storage with
/// host.json's settings, timers on their schedule, and orchestrations and activities on the Durable Task sidecar over
/// the Azure Storage provider. A function whose binding it cannot serve fails start-up, named.
/// </summary>
public sealed class LocalFunctionsHost : IAsyncDisposable
{
    private readonly LocalFunctionsHostOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> triggers = [];
    private readonly ConcurrentDictionary<string, TimerTriggerScheduler> timers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Task, bool> manualRuns = new();
    private WebApplication? grpc;
    private WebApplication? front;
    private HttpTriggerProxy? proxy;
    private DurableTask.AzureStorage.AzureStorageOrchestrationService? durableService;
    private IOrchestrationService? sidecarService;

    private LocalFunctionsHost(LocalFunctionsHostOptions options, HostJson hostJson)
    {
        this.options = options;
        HostJson = hostJson;
        logger = options.LoggerFactory.CreateLogger("CartCall.LocalCloud.FunctionsHost");
    }

    public HostJson HostJson { get; }

    /// <summary>Where HTTP triggers are served, e.g. <c>http://127.0.0.1:7071/</c>.</summary>
    public Uri BaseAddress { get; private set; } = default!;

    public Uri GrpcEndpoint { get; private set; } = default!;

    public WorkerSupervisor Supervisor { get; private set; } = default!;

    public DurableTaskEngine? Durable { get; private set; }

    /// <summary>Every function served, as the worker declared it.</summary>
    public IReadOnlyList<FunctionDescriptor> Functions => Supervisor.Functions;

    public static async Task<LocalFunctionsHost> StartAsync(LocalFunctionsHostOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = new LocalFunctionsHost(options, HostJson.Load(options.AppDirectory));
        try
        {
            await host.StartPartsAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private string? Storage => options.Settings.TryGetValue("AzureWebJobsStorage", out var s) && s.Length > 0 ? s : null;

    private async Task StartPartsAsync(CancellationToken ct)
    {
        var registry = new WorkerRegistry(options.LoggerFactory) { OnLog = options.OnWorkerLog };
        if (Storage is { } storage)
        {
            durableService = DurableTaskEngine.CreateService(storage, HostJson.DurableTask, options.DurablePollingInterval, options.LoggerFactory);
            sidecarService = SidecarOrchestrationService.Wrap(durableService, logger);
        }

        grpc = BuildGrpcServer(registry);
        await grpc.StartAsync(ct).ConfigureAwait(false);
        GrpcEndpoint = Address(grpc);

        Supervisor = new WorkerSupervisor(registry, options.Launcher, GrpcEndpoint, options.AppDirectory, WorkerEnvironment,
            options.LoggerFactory.CreateLogger("CartCall.LocalCloud.FunctionsHost.Supervisor"));
        var invoker = new FunctionInvoker(Supervisor, durableService is null ? null : () => Durable!.ClientBindingJson(BaseAddress));
        if (durableService is not null)
        {
            Durable = new DurableTaskEngine(durableService, HostJson.DurableTask, invoker, logger);
        }

        await Supervisor.StartAsync(ct).ConfigureAwait(false);
        var needsStorage = Functions.Where(f => f.Kind is TriggerKind.Queue or TriggerKind.Orchestration or TriggerKind.Activity || f.DurableClient is not null).ToList();
        if (needsStorage.Count > 0 && Storage is null)
        {
            throw new WorkerStartupException($"These functions need the AzureWebJobsStorage setting: {string.Join(", ", needsStorage.Select(f => f.Name))}.");
        }

        front = BuildFront(invoker);
        await front.StartAsync(ct).ConfigureAwait(false);
        BaseAddress = Address(front);

        if (Durable is not null && Functions.Any(f => f.Kind is TriggerKind.Orchestration or TriggerKind.Activity || f.DurableClient is not null))
        {
            await Durable.StartAsync(GrpcEndpoint, ct).ConfigureAwait(false);
        }

        StartTriggers(invoker);
    }

    /// <summary>The worker's environment: the app settings with <c>:</c> spelled <c>__</c>, as app settings reach a worker.</summary>
    private Dictionary<string, string> WorkerEnvironment()
    {
        var environment = options.Settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value);
        environment.TryAdd("AZURE_FUNCTIONS_ENVIRONMENT", "Development");
        return environment;
    }

    private WebApplication BuildGrpcServer(WorkerRegistry registry)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options.LoggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.GrpcPort, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = null;
            o.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(registry);
        if (durableService is not null)
        {
            DurableTaskEngine.AddSidecar(builder.Services, sidecarService!, durableService);
        }

        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        if (durableService is not null)
        {
            app.MapGrpcService<TaskHubGrpcServer>();
        }

        return app;
    }

    private WebApplication BuildFront(FunctionInvoker invoker)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(options.LoggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, options.HttpPort);
            // The platform's own request limit; the app enforces its smaller ones itself.
            k.Limits.MaxRequestBodySize = 100L * 1024 * 1024;
            // Kestrel's default cuts a client that reads under 240 bytes/s for 5 s; on a loaded development machine a
            // browser (or a test) taking the 7 MB calling bundle is such a client, and the cut shows as a reset, not a 5xx.
            k.Limits.MinResponseDataRate = null;
        });
        builder.Services.AddHttpForwarder();
        builder.Services.AddRouting();
        var app = builder.Build();
        proxy = new HttpTriggerProxy(invoker, app.Services.GetRequiredService<IHttpForwarder>(),
            options.LoggerFactory.CreateLogger("CartCall.LocalCloud.FunctionsHost.Http"), options.FunctionTimeout);
        proxy.Map(app, Functions, HostJson.RoutePrefix);
        app.MapPost("/admin/functions/{name}", RunByHand);
        // As the Functions host: a path no function serves is a plain 404.
        app.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>
    /// The host's way to run a function that HTTP does not trigger (<c>POST /admin/functions/{name}</c> with
    /// <c>{"input": …}</c>): accepted at once (202), run in the background. As under Core Tools, the master key is not
    /// asked for locally. Timers only: a queue function is run by putting its message on the queue.
    /// </summary>
    private IResult RunByHand(string name)
    {
        if (timers.TryGetValue(name, out var timer))
        {
            var run = Task.Run(() => timer.RunNowAsync(stopping.Token), CancellationToken.None);
            manualRuns.TryAdd(run, true);
            _ = run.ContinueWith(done => manualRuns.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return Results.Accepted();
        }

        return Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) is { } function
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a function to run by hand here.",
                detail: $"'{function.Name}' is a {function.Kind} function; the local host runs timer functions by hand. Send it what triggers it instead.")
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such function.", detail: $"The app has no function '{name}'.");
    }

    private void StartTriggers(FunctionInvoker invoker)
    {
        QueueServiceClient? queues = Storage is { } s
            ? new QueueServiceClient(s, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None })
            : null;
        var values = options.Settings;
        foreach (var function in Functions)
        {
            Task? run = function.Kind switch
            {
                TriggerKind.Queue => new QueueTriggerListener(function, queues!,
                    options.QueuePollingInterval is { } poll ? HostJson.Queues with { MaxPollingInterval = poll } : HostJson.Queues, invoker,
                    options.LoggerFactory.CreateLogger("CartCall.LocalCloud.FunctionsHost.Queues"), options.FunctionTimeout).RunAsync(stopping.Token),
                TriggerKind.Timer => timers.GetOrAdd(function.Name, _ => new TimerTriggerScheduler(function, invoker, values, options.Time,
                    options.LoggerFactory.CreateLogger("CartCall.LocalCloud.FunctionsHost.Timers"))).RunAsync(stopping.Token),
                _ => null,
            };
            if (run is not null)
            {
                triggers.Add(Task.Run(() => run, CancellationToken.None));
            }
        }
    }

    private static Uri Address(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll([.. triggers, .. manualRuns.Keys]).WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (front is not null)
        {
            await front.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await front.DisposeAsync().ConfigureAwait(false);
        }

        if (Durable is not null)
        {
            await Durable.DisposeAsync().ConfigureAwait(false);
        }

        if (Supervisor is not null)
        {
            await Supervisor.DisposeAsync().ConfigureAwait(false);
        }

        if (sidecarService is not null)
        {
            // Stopped here, while storage is surely still up (a test stops Azurite right after), rather than by the
            // sidecar when its server stops; the sidecar's own stop then finds it done. Bounded: leases left behind
            // expire by themselves.
            await sidecarService.StopAsync(isForced: true).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (grpc is not null)
        {
            await grpc.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await grpc.DisposeAsync().ConfigureAwait(false);
        }

        proxy?.Dispose();
        stopping.Dispose();
    }
}
