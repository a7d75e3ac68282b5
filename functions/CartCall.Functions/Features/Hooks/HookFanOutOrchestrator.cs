using CartCall.Domain.Hooks;
using CartCall.Functions.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// One occurrence of a lifecycle point to run the merchant's hooks for. Either <see cref="Data"/> is given (the caller
/// has the event at hand), or it is built by the <see cref="IHookEventSource"/> for the occurrence (a call's hooks read
/// the call record, so the call orchestration need not carry the cart).
/// </summary>
/// <param name="OccurrenceId">The call id or offer id: with the point and the hook it makes each invocation's key.</param>
/// <param name="Deadline">How long the hooks may take before the step goes on without the missing answers (before_dial: 2 s).</param>
public sealed record HookFanOutInput(
    string Point, string OccurrenceId, string? MerchantId, HookEventData? Data, DateTimeOffset OccurredAt, TimeSpan? Deadline = null);

/// <summary>What the planning activity found: the hooks to run (highest priority first), each one's first attempt, and the window.</summary>
public sealed record HookFanOutPlan(
    IReadOnlyList<HookRegistration> Hooks, IReadOnlyList<HookActivityInput> Invocations, int Concurrency, string DefaultShopperMessage);

/// <summary>What the hooks at one occurrence decided, and each hook's last attempt (those that finished before the deadline).</summary>
public sealed record HookFanOutResult(HookDecision Decision, IReadOnlyList<HookActivityResult> Results, bool DeadlinePassed);

/// <summary>
/// The hooks of one lifecycle point as a Durable (sub-)orchestration: one activity per enabled hook, a sliding
/// window of at most the merchant's concurrency limit in flight, each hook with its own retry loop (its policy's
/// delays are durable timers, a hook's <c>Retry-After</c> included), and an optional deadline raced by a durable
/// timer. The instance id is derived from the point and the occurrence (<see cref="InstanceId"/>), so an occurrence's
/// hooks run under one orchestration however often it is asked for; the engine replays it after a crash and never
/// re-runs an activity whose result is in its history, and an activity that is run again (its worker died mid-way)
/// finds its invocation's record and does not call a hook that already answered. <see cref="RunAsync"/> also runs inline
/// in another orchestration (the call's), whose history then holds the hooks' activities.
/// </summary>
public static class HookFanOutOrchestrator
{
    /// <summary>Storage or planning failures (not the hook's own) are retried by the engine before the fan-out hears of them.</summary>
    private static readonly TaskOptions Retried = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromMilliseconds(250), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(5)));

    public static string InstanceId(string point, string occurrenceId) => $"hooks-{point}-{occurrenceId}";

    /// <summary>
    /// Starts the fan-out of one occurrence as an orchestration of its own under <see cref="InstanceId"/>, unless an
    /// instance under that id exists in any state: a repeated trigger (a redelivered offer, a repeated accept) starts
    /// no second run, so the occurrence's hooks run once however often it is asked for.
    /// </summary>
    /// <returns>False when the occurrence's fan-out had been started before.</returns>
    public static Task<bool> StartOnceAsync(DurableTaskClient client, HookFanOutInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return client.StartOnceAsync(nameof(HookFanOutOrchestrator), input, InstanceId(input.Point, input.OccurrenceId), cancellationToken);
    }

    [Function(nameof(HookFanOutOrchestrator))]
    public static Task<HookFanOutResult> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(context, context.GetInput<HookFanOutInput>() ?? throw new InvalidOperationException("A hook fan-out needs its input."));
    }

    public static async Task<HookFanOutResult> RunAsync(TaskOrchestrationContext context, HookFanOutInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        using var cancel = new CancellationTokenSource();

        // The deadline counts from the point itself, the hooks' planning included.
        var deadline = input.Deadline is { } limit ? context.CreateTimer(context.CurrentUtcDateTime + limit, cancel.Token) : null;
        var plan = await context.CallActivityAsync<HookFanOutPlan>(nameof(HookActivities.PlanHookFanOut), input, Retried).ConfigureAwait(true);

        var results = new Dictionary<string, HookActivityResult>(StringComparer.Ordinal);
        var waiting = new Queue<HookActivityInput>(plan.Invocations);
        var running = new List<Task<HookActivityResult>>();
        var deadlinePassed = false;
        while (waiting.Count > 0 || running.Count > 0)
        {
            // A sliding window: a finished hook's slot goes to the next at once, so one slow hook holds back nobody.
            while (running.Count < plan.Concurrency && waiting.TryDequeue(out var next))
            {
                running.Add(RunHookAsync(context, next));
            }

            Task finished = deadline is null
                ? await Task.WhenAny(running).ConfigureAwait(true)
                : await Task.WhenAny([.. running, deadline]).ConfigureAwait(true);
            if (finished == deadline)
            {
                deadlinePassed = true;
                break;
            }

            var done = (Task<HookActivityResult>)finished;
            running.Remove(done);
            results[done.Result.HookId] = done.Result;
        }

        if (!deadlinePassed && deadline is not null)
        {
            // The timer must not keep the orchestration alive once every hook has answered.
#pragma warning disable CA1849 // CancelAsync would await a non-durable task, which an orchestrator must never do.
            cancel.Cancel();
#pragma warning restore CA1849
        }

        var outcomes = results.Values.ToDictionary(r => r.HookId, r => r.ToOutcome(), StringComparer.Ordinal);
        var decision = HookAggregation.Decide(input.Point, plan.Hooks, outcomes, plan.DefaultShopperMessage);
        return new HookFanOutResult(decision, [.. results.Values.OrderBy(r => r.HookId, StringComparer.Ordinal)], deadlinePassed);
    }

    /// <summary>One hook: attempts until one is final, waiting its policy's delay (a durable timer) between them.</summary>
    internal static async Task<HookActivityResult> RunHookAsync(TaskOrchestrationContext context, HookActivityInput first)
    {
        var input = first;
        while (true)
        {
            HookActivityResult result;
            try
            {
                result = await context.CallActivityAsync<HookActivityResult>(nameof(HookActivities.RunHookAttempt), input, Retried).ConfigureAwait(true);
            }
            catch (TaskFailedException e)
            {
                // Our own failure (storage) after the engine's retries: this hook's failure, never the fan-out's.
                return new(first.HookId, first.IdempotencyKey, 0, HookOutcomeKind.Failed, null, true, null, "activity-failed", e.FailureDetails.ErrorMessage, 0);
            }

            if (result.Final || result.RetryDelay is not { } delay)
            {
                return result;
            }

            await context.CreateTimer(context.CurrentUtcDateTime + delay, CancellationToken.None).ConfigureAwait(true);

            // Later attempts send the stored bytes: the payload is in the invocation's record, not in every history event.
            input = first with { Payload = null };
        }
    }
}
