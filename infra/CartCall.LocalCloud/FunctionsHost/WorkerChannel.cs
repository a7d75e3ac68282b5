using System.Collections.Concurrent;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>The worker went away (exited, was killed, or closed its stream) before it answered.</summary>
public sealed class WorkerUnavailableException(string message) : Exception(message);

/// <summary>
/// One connected worker's event stream, as the Functions host holds it: requests it sends and the answers it
/// waits for (init, metadata, load, invocations), the worker's logs, and the end of the stream, which fails
/// everything still waiting so callers can retry on the next worker.
/// </summary>
public sealed class WorkerChannel
{
    private readonly IServerStreamWriter<StreamingMessage> writer;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> pending = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger logger;
    private readonly Action<RpcLog>? onLog;

    internal WorkerChannel(string workerId, IServerStreamWriter<StreamingMessage> writer, ILogger logger, Action<RpcLog>? onLog)
    {
        WorkerId = workerId;
        this.writer = writer;
        this.logger = logger;
        this.onLog = onLog;
    }

    public string WorkerId { get; }

    /// <summary>The worker's own HTTP server (ASP.NET Core integration), from its init capabilities.</summary>
    public Uri? HttpUri { get; internal set; }

    public IReadOnlyDictionary<string, string> Capabilities { get; internal set; } = new Dictionary<string, string>();

    /// <summary>Completes when the worker's stream ends.</summary>
    public Task Closed => closed.Task;

    public bool IsClosed => closed.Task.IsCompleted;

    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, string correlation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = Expect(correlation);
        try
        {
            await SendAsync(request, cancellationToken).ConfigureAwait(false);
            return await answer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            pending.TryRemove(correlation, out _);
        }
    }

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest invocation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var message = new StreamingMessage { InvocationRequest = invocation };
        try
        {
            var answer = await RequestAsync(message, Key("invocation", invocation.InvocationId), timeout, cancellationToken).ConfigureAwait(false);
            return answer.InvocationResponse;
        }
        catch (OperationCanceledException) when (!IsClosed)
        {
            // Tell the worker, as the host does, so a cancelled HTTP request or a stopping host frees the invocation.
            await TrySendAsync(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocation.InvocationId } }).ConfigureAwait(false);
            throw;
        }
    }

    public async Task SendAsync(StreamingMessage message, CancellationToken cancellationToken)
    {
        if (IsClosed)
        {
            throw new WorkerUnavailableException($"Worker {WorkerId} has gone.");
        }

        await sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Never hand the caller's token to the write: gRPC cancels the whole call when a write's token fires
            // (even one already cancelled), which would end the worker's stream and every invocation on it.
            await writer.WriteAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Grpc.Core.RpcException)
        {
            throw new WorkerUnavailableException($"Worker {WorkerId} has gone: {e.Message}");
        }
        finally
        {
            sendLock.Release();
        }
    }

    public async Task TrySendAsync(StreamingMessage message)
    {
        try
        {
            await SendAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (WorkerUnavailableException)
        {
            // Nothing to tell a worker that has gone.
        }
    }

    internal static string Key(string kind, string id) => kind + ":" + id;

    private Task<StreamingMessage> Expect(string correlation)
    {
        var tcs = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!pending.TryAdd(correlation, tcs))
        {
            throw new InvalidOperationException($"A request {correlation} is already waiting for its answer.");
        }

        if (IsClosed)
        {
            tcs.TrySetException(new WorkerUnavailableException($"Worker {WorkerId} has gone."));
        }

        return tcs.Task;
    }

    /// <summary>Routes one message from the worker to whoever waits for it.</summary>
    internal void Receive(StreamingMessage message)
    {
        switch (message.ContentCase)
        {
            case StreamingMessage.ContentOneofCase.RpcLog:
                onLog?.Invoke(message.RpcLog);
                break;
            case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                Complete(Key("init", ""), message);
                break;
            case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                Complete(Key("metadata", ""), message);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                Complete(Key("load", message.FunctionLoadResponse.FunctionId), message);
                break;
            case StreamingMessage.ContentOneofCase.FunctionLoadResponseCollection:
                Complete(Key("loads", ""), message);
                break;
            case StreamingMessage.ContentOneofCase.InvocationResponse:
                Complete(Key("invocation", message.InvocationResponse.InvocationId), message);
                break;
            case StreamingMessage.ContentOneofCase.WorkerStatusResponse:
                Complete(Key("status", message.RequestId), message);
                break;
            default:
                logger.LogDebug("Ignored a {Message} from worker {WorkerId}", message.ContentCase, WorkerId);
                break;
        }
    }

    private void Complete(string correlation, StreamingMessage message)
    {
        if (pending.TryGetValue(correlation, out var tcs))
        {
            tcs.TrySetResult(message);
        }
        else
        {
            logger.LogDebug("An answer {Correlation} from worker {WorkerId} came after its caller stopped waiting", correlation, WorkerId);
        }
    }

    internal void Close()
    {
        closed.TrySetResult();
        foreach (var (_, tcs) in pending)
        {
            tcs.TrySetException(new WorkerUnavailableException($"Worker {WorkerId} has gone."));
        }
    }
}
