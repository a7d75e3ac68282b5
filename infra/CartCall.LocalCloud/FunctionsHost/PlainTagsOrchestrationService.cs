using System.Reflection;
using DurableTask.Core;
using DurableTask.Core.History;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// The orchestration service as the sidecar sees it, with one repair: the sidecar (InProcessTestHost 0.2.3-preview.1)
/// hands a sub-orchestration's tags over as the protobuf map it received (fixed upstream in durabletask-dotnet #695),
/// and the Azure Storage provider writes messages with their .NET type names, so a started sub-orchestration became
/// a control-queue message no one could read, retried for ever. Tags are copied into plain dictionaries on the way
/// in; every other call goes straight through.
/// </summary>
public class PlainTagsOrchestrationService : DispatchProxy
{
    private IOrchestrationService inner = default!;

    public static IOrchestrationService Wrap(IOrchestrationService inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var proxy = Create<IOrchestrationService, PlainTagsOrchestrationService>();
        ((PlainTagsOrchestrationService)(object)proxy).inner = inner;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
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
