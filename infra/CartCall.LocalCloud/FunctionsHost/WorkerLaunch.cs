using System.Globalization;
using CartCall.LocalCloud.Launcher;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>What a worker is started with: the switches and environment the Functions host gives it.</summary>
public sealed record WorkerStartInfo(string WorkerId, string RequestId, Uri HostEndpoint, string AppDirectory, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>
    /// The 2.x worker reads only the <c>--functions-*</c> switches. The maximum message length must be given: left out it
    /// is 0, and the worker dies on its first send with ResourceExhausted.
    /// </summary>
    public IReadOnlyList<string> Arguments =>
    [
        "--functions-uri", HostEndpoint.AbsoluteUri,
        "--functions-worker-id", WorkerId,
        "--functions-request-id", RequestId,
        "--functions-grpc-max-message-length", int.MaxValue.ToString(CultureInfo.InvariantCulture),
    ];
}

/// <summary>Starts workers. The Functions host starts a process; tests may run the worker's host in their own process.</summary>
public interface IWorkerLauncher
{
    Task<IRunningWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken);
}

/// <summary>A started worker.</summary>
public interface IRunningWorker : IAsyncDisposable
{
    /// <summary>The worker's process id, when it runs in a process of its own.</summary>
    int? ProcessId { get; }

    /// <summary>Completes when the worker has stopped, for whatever reason.</summary>
    Task Exited { get; }

    /// <summary>Ends the worker at once, as kill -9 would: no grace, nothing flushed.</summary>
    void Kill();
}

/// <summary>
/// Runs the worker as the Functions host does: <c>dotnet &lt;App&gt;.dll</c> in the app directory, with the
/// <c>--functions-*</c> switches and <c>FUNCTIONS_APPLICATION_DIRECTORY</c> (without it every function load fails).
/// </summary>
public sealed class ProcessWorkerLauncher(string appDll, string? logPath = null, Action<string>? onOutput = null) : IWorkerLauncher
{
    public Task<IRunningWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var environment = new Dictionary<string, string>(start.Environment)
        {
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = start.AppDirectory,
            ["FUNCTIONS_WORKER_DIRECTORY"] = start.AppDirectory,
            ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated",
        };
        var child = ChildProcess.Start(new ChildProcessSpec
        {
            Name = "worker",
            FileName = "dotnet",
            Arguments = [appDll, .. start.Arguments],
            WorkingDirectory = start.AppDirectory,
            Environment = environment,
            LogPath = logPath,
            OnOutput = onOutput,
        });
        return Task.FromResult<IRunningWorker>(new ProcessWorker(child));
    }

    private sealed class ProcessWorker(ChildProcess child) : IRunningWorker
    {
        public int? ProcessId => child.Id;

        public Task Exited => child.Exited;

        public void Kill() => ProcessTree.Kill(child.Id);

        public ValueTask DisposeAsync() => child.DisposeAsync();
    }
}
