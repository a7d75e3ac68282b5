using CartCall.Domain.Hooks;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Calls;

/// <summary>What <c>call.before_dial</c>'s hooks decided, to keep on the call.</summary>
public sealed record HookDecisionRecord(string CallId, HookDecision Decision);

/// <summary>The call's side of its hooks' answers: routing and enrichment kept on the call record.</summary>
public sealed class CallHookActivities(TableCallStore calls, OptimisticConcurrency concurrency)
{
    [Function(nameof(RecordHookDecision))]
    public async Task RecordHookDecision([ActivityTrigger] HookDecisionRecord request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await concurrency.ExecuteAsync<bool>($"Call {request.CallId}", async ct =>
        {
            var call = await calls.GetAsync(request.CallId, ct).ConfigureAwait(false);
            if (call is null)
            {
                return false;
            }

            call.RoutedAgentId = request.Decision.AgentId;
            call.RoutedBy = request.Decision.RoutedBy;
            call.HookData = request.Decision.Enrichment.Count == 0 ? null : new Dictionary<string, string>(request.Decision.Enrichment, StringComparer.Ordinal);
            return await calls.TryReplaceAsync(call, ct).ConfigureAwait(false) ? true : throw OptimisticConcurrency.Lost($"Call {request.CallId}");
        }, cancellationToken).ConfigureAwait(false);
    }
}
