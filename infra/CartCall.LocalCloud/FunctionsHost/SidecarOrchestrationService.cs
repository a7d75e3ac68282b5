using System.Reflection;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// The orchestration service as the sidecar (InProcessTestHost 0.2.3-preview.1) sees it, with two repairs:
/// <list type="bullet">
/// <item>The sidecar hands a sub-orchestration's tags over as the protobuf map it received (fixed upstream in
/// durabletask-dotnet #695), and the Azure Storage provider writes messages with their .NET type names, so a started
/// sub-orchestration became a control-queue message no one could read, retried for ever. Tags are copied into plain
/// dictionaries on the way in.</item>
/// <item>The sidecar stops the provider from an <c>async void</c> when its server stops. A graceful stop waits for
/// every in-memory session to finish and every partition lease to be released, which never happens once the worker
/// that owned those sessions is gone or storage has stopped; after 10 minutes the provider throws, and from an
/// <c>async void</c> that ends the process. So every stop here is one forced stop (sessions aborted: their messages
/// stay in the control queues for the next start, as after a kill), shared by all callers, and it never throws.</item>
/// </list>
/// Every other call goes straight through.
/// </summary>
public class SidecarOrchestrationService : DispatchProxy
{
    private readonly Lock gate = new();
    private IOrchestrationService inner = default!;
    private ILogger logger = default!;
    private Task? stopped;

    public static IOrchestrationService Wrap(IOrchestrationService inner, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(logger);
        var proxy = Create<IOrchestrationService, SidecarOrchestrationService>();
        var self = (SidecarOrchestrationService)(object)proxy;
        self.inner = inner;
        self.logger = logger;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IOrchestrationService.StopAsync))
        {
            return StopOnce();
        }

        if (args is not null && targetMethod.Name == nameof(IOrchestrationService.CompleteTaskOrchestrationWorkItemAsync))
        {
            foreach (var arg in args)
            {
                Repair(arg);
            }
        }

        try
        {
            return targetMethod.Invoke(inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private Task StopOnce()
    {
        lock (gate)
        {
            return stopped ??= StopAsync();
        }
    }

    private async Task StopAsync()
    {
        try
        {
            await inner.StopAsync(isForced: true).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "The Durable Task storage provider did not stop cleanly; its partition leases expire by themselves");
        }
    }

    private static void Repair(object? arg)
    {
        switch (arg)
        {
            case TaskMessage message:
                Repair(message.Event);
                break;
            case OrchestrationRuntimeState state:
                foreach (var e in state.NewEvents)
                {
                    Repair(e);
                }

                break;
            case IEnumerable<TaskMessage> messages:
                foreach (var m in messages)
                {
                    Repair(m.Event);
                }

                break;
        }
    }

    private static void Repair(HistoryEvent? e)
    {
        if (e?.GetType().GetProperty("Tags") is { CanWrite: true } property
            && property.GetValue(e) is IDictionary<string, string> tags
            && tags.GetType() != typeof(Dictionary<string, string>))
        {
            property.SetValue(e, new Dictionary<string, string>(tags, StringComparer.Ordinal));
        }
    }
}
