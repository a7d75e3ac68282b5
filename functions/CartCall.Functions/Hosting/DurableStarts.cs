using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CartCall.Functions.Hosting;

/// <summary>Starting an orchestration under an id that says what it is for, at most once.</summary>
public static class DurableStarts
{
    /// <summary>
    /// Starts <paramref name="orchestratorName"/> under <paramref name="instanceId"/> unless an instance under that id
    /// exists in any state, so a repeated trigger (a redelivered offer, a repeated accept, a retried queue message)
    /// starts no second run. The dedupe statuses cover the gRPC backends; the Azure Storage provider refuses the
    /// duplicate with its own exception, and older hosts with gRPC's AlreadyExists.
    /// </summary>
    /// <returns>False when an instance under the id had been started before.</returns>
    public static async Task<bool> StartOnceAsync(this DurableTaskClient client, string orchestratorName, object input, string instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            var start = new StartOrchestrationOptions(instanceId).WithDedupeStatuses([.. StartOrchestrationOptionsExtensions.ValidDedupeStatuses]);
            await client.ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, start, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException || e is RpcException { StatusCode: StatusCode.AlreadyExists })
        {
            return false;
        }
    }
}
