using System.Diagnostics;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using Google.Protobuf;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>An invocation the worker answered with a failure (the function threw).</summary>
public sealed class FunctionFailedException(string functionName, RpcException? exception)
    : Exception($"{functionName} failed: {exception?.Message ?? "no details"}")
{
    public string FunctionName { get; } = functionName;

    public RpcException? Rpc { get; } = exception;
}

/// <summary>
/// Sends one invocation of a function to the ready worker, the way every trigger does: a fresh invocation id, the
/// function's id as that worker knows it, the input bindings, and a trace context (the worker fails an invocation
/// without one). Bindings every trigger shares, such as <c>[DurableClient]</c>, are added here.
/// </summary>
public sealed class FunctionInvoker(WorkerSupervisor supervisor, Func<string>? durableClientBinding)
{
    /// <summary>How long an invocation waits for a worker that is being (re)started.</summary>
    public static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(30);

    public WorkerSupervisor Supervisor { get; } = supervisor;

    public static TypedData Text(string value) => new() { String = value };

    public static TypedData Json(string value) => new() { Json = value };

    public InvocationRequest NewRequest(WorkerSession session, string functionName, string? invocationId = null)
    {
        var function = session.Functions[functionName];
        var request = new InvocationRequest
        {
            InvocationId = invocationId ?? Guid.NewGuid().ToString(),
            FunctionId = function.Id,
            TraceContext = new RpcTraceContext { TraceParent = Activity.Current?.Id ?? "", TraceState = Activity.Current?.TraceStateString ?? "" },
        };
        if (function.DurableClient is { } client && durableClientBinding is not null)
        {
            request.InputData.Add(new ParameterBinding { Name = client.Name, Data = Text(durableClientBinding()) });
        }

        return request;
    }

    /// <summary>
    /// Invokes a non-HTTP function and returns its response; throws <see cref="FunctionFailedException"/> when the
    /// function failed, and <see cref="WorkerUnavailableException"/> when the worker went away before it answered
    /// (the caller decides whether to try again on the next worker).
    /// </summary>
    public async Task<InvocationResponse> InvokeAsync(string functionName, Action<InvocationRequest> addInputs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(addInputs);
        var session = await Supervisor.WaitReadyAsync(ReadyWait, cancellationToken).ConfigureAwait(false);
        var request = NewRequest(session, functionName);
        addInputs(request);
        var response = await session.Channel.InvokeAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        if (response.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new FunctionFailedException(functionName, response.Result?.Exception);
        }

        return response;
    }

    /// <summary>The function's return value as text (the worker serialises a plain return value as JSON or string).</summary>
    public static string? ReturnText(InvocationResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var value = response.ReturnValue;
        return value?.DataCase switch
        {
            TypedData.DataOneofCase.String => value.String,
            TypedData.DataOneofCase.Json => value.Json,
            TypedData.DataOneofCase.Bytes => value.Bytes.ToStringUtf8(),
            TypedData.DataOneofCase.Int => value.Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
            TypedData.DataOneofCase.Double => value.Double.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    public static ByteString Utf8(string text) => ByteString.CopyFromUtf8(text);
}
