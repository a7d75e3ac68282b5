using System.Diagnostics;
using System.Globalization;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>A worker that has been initialised and has loaded every function: what invocations go to.</summary>
public sealed class WorkerSession(WorkerChannel channel, IRunningWorker worker, IReadOnlyDictionary<string, FunctionDescriptor> functions, int generation)
{
    public WorkerChannel Channel { get; } = channel;

    public IRunningWorker Worker { get; } = worker;

    /// <summary>By function name: the id this worker gave each function, and its bindings.</summary>
    public IReadOnlyDictionary<string, FunctionDescriptor> Functions { get; } = functions;

    /// <summary>1 for the first worker, then one more for each restart.</summary>
    public int Generation { get; } = generation;
}

/// <summary>The worker could not be started, or its functions cannot be served.</summary>
public sealed class WorkerStartupException(string message) : Exception(message);

/// <summary>
/// Starts the worker and plays the Functions host's side of the start-up conversation (init, metadata, one load per
/// function), then keeps a worker running: when it exits or its stream ends, callers wait while a new one is started
/// with backoff, so a crash costs a restart, never the local cloud.
/// </summary>
public sealed class WorkerSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly WorkerRegistry registry;
    private readonly IWorkerLauncher launcher;
    private readonly Func<IReadOnlyDictionary<string, string>> environment;
    private readonly Uri hostEndpoint;
    private readonly string appDirectory;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private TaskCompletionSource<WorkerSession> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerSession? current;
    private Task? monitor;
    private int generation;

    public WorkerSupervisor(WorkerRegistry registry, IWorkerLauncher launcher, Uri hostEndpoint, string appDirectory,
        Func<IReadOnlyDictionary<string, string>> environment, ILogger logger)
    {
        this.registry = registry;
        this.launcher = launcher;
        this.hostEndpoint = hostEndpoint;
        this.appDirectory = appDirectory;
        this.environment = environment;
        this.logger = logger;
    }

    /// <summary>Raised each time a worker is ready, the first and every restarted one.</summary>
    public event Action<WorkerSession>? WorkerReady;

    /// <summary>The functions as the first worker declared them.</summary>
    public IReadOnlyList<FunctionDescriptor> Functions { get; private set; } = [];

    /// <summary>The raw metadata the first worker returned, in its order.</summary>
    public IReadOnlyList<RpcFunctionMetadata> DeclaredMetadata { get; private set; } = [];

    /// <summary>How many times the worker was restarted after it went away.</summary>
    public int Restarts => Math.Max(0, Volatile.Read(ref generation) - 1);

    public WorkerSession? Current
    {
        get
        {
            lock (gate) return current;
        }
    }

    /// <summary>Process start of the first worker to the moment it had loaded every function.</summary>
    public TimeSpan FirstStartup { get; private set; }

    /// <summary>Starts the first worker; fails, naming them, when a function has a binding the local host cannot serve.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var session = await StartWorkerAsync(cancellationToken).ConfigureAwait(false);
        FirstStartup = Stopwatch.GetElapsedTime(started);
        Publish(session);
        monitor = Task.Run(() => KeepRunningAsync(session, stopping.Token), CancellationToken.None);
    }

    /// <summary>The ready worker, waiting (bounded) while one is being restarted.</summary>
    public async Task<WorkerSession> WaitReadyAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        Task<WorkerSession> task;
        lock (gate)
        {
            if (current is { Channel.IsClosed: false } live)
            {
                return live;
            }

            task = ready.Task;
        }

        try
        {
            return await task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new WorkerUnavailableException($"No worker was ready within {wait.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Kills the current worker as kill -9 would; the supervisor then starts another.</summary>
    public void KillCurrentWorker() => Current?.Worker.Kill();

    private void Publish(WorkerSession session)
    {
        TaskCompletionSource<WorkerSession> toComplete;
        lock (gate)
        {
            current = session;
            toComplete = ready;
        }

        toComplete.TrySetResult(session);
        WorkerReady?.Invoke(session);
    }

    private async Task KeepRunningAsync(WorkerSession session, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (!ct.IsCancellationRequested)
        {
            var upSince = Stopwatch.GetTimestamp();
            await Task.WhenAny(session.Worker.Exited, session.Channel.Closed).ConfigureAwait(false);
            lock (gate)
            {
                ready = new TaskCompletionSource<WorkerSession>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            if (ct.IsCancellationRequested)
            {
                return;
            }

            logger.LogWarning("Worker {WorkerId} (generation {Generation}) went away; restarting it", session.Channel.WorkerId, session.Generation);
            session.Worker.Kill();
            await session.Worker.DisposeAsync().ConfigureAwait(false);

            // A worker that stayed up a while starts afresh; one that keeps dying waits longer each time.
            if (Stopwatch.GetElapsedTime(upSince) > TimeSpan.FromSeconds(60))
            {
                backoff = TimeSpan.FromMilliseconds(250);
            }

            while (!ct.IsCancellationRequested)
            {
                try
                {
                    session = await StartWorkerAsync(ct).ConfigureAwait(false);
                    Publish(session);
                    backoff = TimeSpan.FromMilliseconds(250);
                    break;
                }
                catch (Exception e) when (e is WorkerStartupException or WorkerUnavailableException or TimeoutException)
                {
                    logger.LogError("The worker did not start: {Problem}; next try in {Delay}", e.Message, backoff);
                    try
                    {
                        await Task.Delay(backoff, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
            }
        }
    }

    private async Task<WorkerSession> StartWorkerAsync(CancellationToken ct)
    {
        var number = Interlocked.Increment(ref generation);
        var workerId = Guid.NewGuid().ToString();
        var connected = registry.Expect(workerId);
        var start = new WorkerStartInfo(workerId, Guid.NewGuid().ToString(), hostEndpoint, appDirectory, environment());
        var worker = await launcher.StartAsync(start, ct).ConfigureAwait(false);
        try
        {
            var first = await Task.WhenAny(connected, worker.Exited).WaitAsync(StartTimeout, ct).ConfigureAwait(false);
            if (first != connected)
            {
                throw new WorkerStartupException("The worker exited before it connected to the host.");
            }

            var channel = await connected.ConfigureAwait(false);
            var functions = await HandshakeAsync(channel, number == 1, ct).ConfigureAwait(false);
            logger.LogInformation("Worker {WorkerId} ready with {Count} functions (pid {Pid})", workerId, functions.Count,
                worker.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "in-process");
            return new WorkerSession(channel, worker, functions, number);
        }
        catch
        {
            registry.Forget(workerId);
            worker.Kill();
            await worker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<Dictionary<string, FunctionDescriptor>> HandshakeAsync(WorkerChannel channel, bool first, CancellationToken ct)
    {
        var init = await channel.RequestAsync(
            new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                WorkerInitRequest = new WorkerInitRequest
                {
                    HostVersion = "4.1000.0-cartcall-local",
                    WorkerDirectory = appDirectory,
                    FunctionAppDirectory = appDirectory,
                },
            },
            WorkerChannel.Key("init", ""), StartTimeout, ct).ConfigureAwait(false);
        var initResult = init.WorkerInitResponse;
        if (initResult.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new WorkerStartupException($"The worker failed to initialise: {initResult.Result?.Exception?.Message ?? initResult.Result?.Result}");
        }

        channel.Capabilities = new Dictionary<string, string>(initResult.Capabilities);
        if (initResult.Capabilities.TryGetValue("HttpUri", out var httpUri) && Uri.TryCreate(httpUri, UriKind.Absolute, out var uri))
        {
            channel.HttpUri = uri;
        }

        var metadataAnswer = await channel.RequestAsync(
            new StreamingMessage
            {
                RequestId = Guid.NewGuid().ToString(),
                FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory },
            },
            WorkerChannel.Key("metadata", ""), StartTimeout, ct).ConfigureAwait(false);
        var metadata = metadataAnswer.FunctionMetadataResponse;
        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new WorkerStartupException("The worker asked the host to index its functions; the local host serves worker-indexed apps only (Worker.Sdk generates the index).");
        }

        if (metadata.Result?.Status == StatusResult.Types.Status.Failure)
        {
            throw new WorkerStartupException($"The worker failed to index its functions: {metadata.Result.Exception?.Message ?? metadata.Result.Result}");
        }

        var functions = new Dictionary<string, FunctionDescriptor>(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var m in metadata.FunctionMetadataResults)
        {
            var (function, problem) = FunctionDescriptor.From(m);
            if (problem is not null)
            {
                problems.Add(problem);
            }
            else
            {
                functions[function!.Name] = function;
            }
        }

        if (problems.Count > 0)
        {
            throw new WorkerStartupException("The local host cannot serve every function the worker declares: " + string.Join(" ", problems));
        }

        if (first)
        {
            Functions = [.. functions.Values];
            DeclaredMetadata = [.. metadata.FunctionMetadataResults];
        }
        else if (!functions.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(Functions.Select(f => f.Name)))
        {
            throw new WorkerStartupException("The restarted worker declares other functions than the first one; restart the local host after a rebuild.");
        }

        var loads = functions.Values.Select(async f =>
        {
            var answer = await channel.RequestAsync(
                new StreamingMessage
                {
                    RequestId = Guid.NewGuid().ToString(),
                    FunctionLoadRequest = new FunctionLoadRequest { FunctionId = f.Id, Metadata = f.Metadata },
                },
                WorkerChannel.Key("load", f.Id), StartTimeout, ct).ConfigureAwait(false);
            var result = answer.FunctionLoadResponse.Result;
            return result?.Status == StatusResult.Types.Status.Success ? null : $"{f.Name}: {result?.Exception?.Message ?? result?.Result}";
        });
        var failed = (await Task.WhenAll(loads).ConfigureAwait(false)).OfType<string>().ToList();
        if (failed.Count > 0)
        {
            throw new WorkerStartupException("The worker failed to load functions: " + string.Join(" ", failed));
        }

        return functions;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        var session = Current;
        if (session is not null)
        {
            // The host's goodbye: the worker exits by itself within its grace period.
            await session.Channel.TrySendAsync(new StreamingMessage
            {
                WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) },
            }).ConfigureAwait(false);
            try
            {
                await session.Worker.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("The worker did not exit after WorkerTerminate; stopping it");
            }

            await session.Worker.DisposeAsync().ConfigureAwait(false);
        }

        if (monitor is not null)
        {
            await monitor.ConfigureAwait(false);
        }

        stopping.Dispose();
    }
}
