using System.Collections.Concurrent;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// Where workers connect: each worker the host starts is told its id (<c>--functions-worker-id</c>), opens the
/// event stream and says <c>StartStream</c> with that id; the host then owns the stream through a
/// <see cref="WorkerChannel"/> until the worker goes.
/// </summary>
public sealed class WorkerRegistry(ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<WorkerChannel>> expected = new(StringComparer.Ordinal);
    private readonly ILogger logger = loggers.CreateLogger("CartCall.LocalCloud.FunctionsHost.Worker");

    /// <summary>Called with every log line a worker sends (the worker's console logger is removed; all its logs come this way).</summary>
    public Action<string, RpcLog>? OnLog { get; set; }

    /// <summary>Registers a worker about to be started; the task completes when it connects.</summary>
    public Task<WorkerChannel> Expect(string workerId)
    {
        var tcs = new TaskCompletionSource<WorkerChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        expected[workerId] = tcs;
        return tcs.Task;
    }

    public void Forget(string workerId) => expected.TryRemove(workerId, out _);

    internal WorkerChannel? Connect(string workerId, IServerStreamWriter<StreamingMessage> writer)
    {
        if (!expected.TryRemove(workerId, out var tcs))
        {
            logger.LogWarning("A worker connected with id {WorkerId}, which this host did not start; closing its stream", workerId);
            return null;
        }

        var channel = new WorkerChannel(workerId, writer, logger, log => OnLog?.Invoke(workerId, log));
        tcs.TrySetResult(channel);
        return channel;
    }
}

/// <summary>The gRPC <c>FunctionRpc</c> service: the host's end of the host↔worker protocol.</summary>
public sealed class FunctionRpcService(WorkerRegistry registry, ILogger<FunctionRpcService> logger) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct).ConfigureAwait(false) || requestStream.Current.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            logger.LogWarning("A worker stream did not begin with StartStream; closed");
            return;
        }

        var channel = registry.Connect(requestStream.Current.StartStream.WorkerId, responseStream);
        if (channel is null)
        {
            return;
        }

        try
        {
            while (await requestStream.MoveNext(ct).ConfigureAwait(false))
            {
                channel.Receive(requestStream.Current);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Grpc.Core.RpcException)
        {
            logger.LogWarning(e, "Worker {WorkerId}'s stream ended: {Reason}", channel.WorkerId, e.Message);
        }
        finally
        {
            channel.Close();
        }
    }
}
