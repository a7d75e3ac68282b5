using System.Collections.Concurrent;
using System.Text.Json;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Grpc.Core;
using RpcException = CartCall.LocalCloud.FunctionsHost.Rpc.RpcException;
using Grpc.Net.Client;

namespace CartCall.LocalCloud.Tests.FunctionsHost;

/// <summary>A function a <see cref="FakeWorker"/> declares: its name and bindings as functions.metadata would spell them.</summary>
public sealed record FakeFunction(string Name, params object[] Bindings)
{
    public RpcFunctionMetadata ToMetadata()
    {
        var metadata = new RpcFunctionMetadata { Name = Name, FunctionId = "id-" + Name, ScriptFile = "Fake.dll", EntryPoint = "Fake." + Name, Language = "dotnet-isolated" };
        metadata.RawBindings.AddRange(Bindings.Select(b => JsonSerializer.Serialize(b)));
        return metadata;
    }
}

/// <summary>
/// A worker played by the test: it connects to the host's gRPC endpoint as a real worker does, answers the start-up
/// conversation with the functions it is given, and answers each invocation with <see cref="Invoke"/>. Every
/// invocation it received is kept, for the test to inspect.
/// </summary>
public sealed class FakeWorker(params FakeFunction[] functions) : IWorkerLauncher
{
    private readonly ConcurrentQueue<InvocationRequest> invocations = new();
    private int started;
    private int received;

    /// <summary>Answers an invocation; by default, success.</summary>
    public Func<InvocationRequest, InvocationResponse> Invoke { get; set; } = request => Success(request);

    /// <summary>Capabilities reported at init (e.g. HttpUri for the ASP.NET Core integration).</summary>
    public Dictionary<string, string> Capabilities { get; } = new();

    public IReadOnlyList<InvocationRequest> Invocations => [.. invocations];

    /// <summary>Awaited before each read of the host's stream: a pending task stops the worker reading, as a busy worker does.</summary>
    public Task ReadGate { get; set; } = Task.CompletedTask;

    /// <summary>How many messages the worker has read from the host's stream.</summary>
    public int Received => Volatile.Read(ref received);

    /// <summary>How many workers the host started.</summary>
    public int Started => Volatile.Read(ref started);

    public Running? Current { get; private set; }

    public static InvocationResponse Success(InvocationRequest request, TypedData? returnValue = null) => new()
    {
        InvocationId = request.InvocationId,
        Result = new StatusResult { Status = StatusResult.Types.Status.Success },
        ReturnValue = returnValue,
    };

    public static InvocationResponse Failure(InvocationRequest request, string message) => new()
    {
        InvocationId = request.InvocationId,
        Result = new StatusResult { Status = StatusResult.Types.Status.Failure, Exception = new RpcException { Message = message } },
    };

    public Task<IRunningWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        Interlocked.Increment(ref started);
        var running = new Running(this, start);
        Current = running;
        return Task.FromResult<IRunningWorker>(running);
    }

    public sealed class Running : IRunningWorker
    {
        private readonly CancellationTokenSource stop = new();
        private readonly GrpcChannel channel;

        internal Running(FakeWorker owner, WorkerStartInfo start)
        {
            channel = GrpcChannel.ForAddress(start.HostEndpoint, new GrpcChannelOptions { MaxReceiveMessageSize = null });
            Exited = Task.Run(() => RunAsync(owner, start, stop.Token));
        }

        public int? ProcessId => null;

        public Task Exited { get; }

        /// <summary>Drops the stream at once, as a worker that dies does.</summary>
        public void Kill() => stop.Cancel();

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await Exited.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            channel.Dispose();
            stop.Dispose();
        }

        private async Task RunAsync(FakeWorker owner, WorkerStartInfo start, CancellationToken ct)
        {
            var client = new FunctionRpc.FunctionRpcClient(channel);
            using var stream = client.EventStream(cancellationToken: ct);
            await stream.RequestStream.WriteAsync(new StreamingMessage { StartStream = new StartStream { WorkerId = start.WorkerId } }, ct);
            try
            {
                while (true)
                {
                    await owner.ReadGate.WaitAsync(ct);
                    if (!await stream.ResponseStream.MoveNext(ct))
                    {
                        break;
                    }

                    var message = stream.ResponseStream.Current;
                    Interlocked.Increment(ref owner.received);
                    var answer = message.ContentCase switch
                    {
                        StreamingMessage.ContentOneofCase.WorkerInitRequest => new StreamingMessage
                        {
                            RequestId = message.RequestId,
                            WorkerInitResponse = new WorkerInitResponse { Result = Ok(), Capabilities = { owner.Capabilities } },
                        },
                        StreamingMessage.ContentOneofCase.FunctionsMetadataRequest => new StreamingMessage
                        {
                            RequestId = message.RequestId,
                            FunctionMetadataResponse = new FunctionMetadataResponse
                            {
                                Result = Ok(),
                                FunctionMetadataResults = { owner.Functions.Select(f => f.ToMetadata()) },
                            },
                        },
                        StreamingMessage.ContentOneofCase.FunctionLoadRequest => new StreamingMessage
                        {
                            RequestId = message.RequestId,
                            FunctionLoadResponse = new FunctionLoadResponse { FunctionId = message.FunctionLoadRequest.FunctionId, Result = Ok() },
                        },
                        StreamingMessage.ContentOneofCase.InvocationRequest => Answer(owner, message.InvocationRequest),
                        _ => null,
                    };
                    if (message.ContentCase == StreamingMessage.ContentOneofCase.WorkerTerminate)
                    {
                        return;
                    }

                    if (answer is not null)
                    {
                        await stream.RequestStream.WriteAsync(answer, ct);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
            {
                // Killed, or the host went away.
            }
        }

        private static StreamingMessage Answer(FakeWorker owner, InvocationRequest request)
        {
            owner.invocations.Enqueue(request);
            return new StreamingMessage { InvocationResponse = owner.Invoke(request) };
        }

        private static StatusResult Ok() => new() { Status = StatusResult.Types.Status.Success };
    }

    private IReadOnlyList<FakeFunction> Functions => functions;
}
