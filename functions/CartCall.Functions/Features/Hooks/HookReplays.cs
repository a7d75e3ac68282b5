using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CartCall.Functions.Features.Hooks;

/// <summary>The merchant's deliveries as the admin API lists them.</summary>
public sealed record HookDeliveryList(IReadOnlyList<HookDelivery> Deliveries);

/// <summary>What a replay request started: one orchestration per delivery, each under the delivery's own key.</summary>
public sealed record HookReplayStarted(IReadOnlyList<string> IdempotencyKeys);

/// <summary>
/// A dead letter sent again: the hook's retry loop (as in the fan-out) for one invocation, under its idempotency key and
/// with its stored payload. The instance id counts the replays, so one replay request runs once however often the
/// engine replays it, and a later request is a new instance.
/// </summary>
public static class HookReplayOrchestrator
{
    public static string InstanceId(string idempotencyKey, int replay) => $"hooks-replay-{idempotencyKey}-{replay}";

    [Function(nameof(HookReplayOrchestrator))]
    public static Task<HookActivityResult> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = context.GetInput<HookActivityInput>() ?? throw new InvalidOperationException("A hook replay needs its input.");
        return HookFanOutOrchestrator.RunHookAsync(context, input);
    }

    /// <summary>Readies the delivery and starts its replay; null when it does not exist.</summary>
    public static async Task<string?> StartAsync(DurableTaskClient client, TableHookStore store, string merchantId, string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(store);
        var delivery = await store.PrepareReplayAsync(merchantId, key, cancellationToken).ConfigureAwait(false);
        if (delivery is null)
        {
            return null;
        }

        var input = new HookActivityInput(delivery.MerchantId, delivery.HookId, delivery.Point, delivery.OccurrenceId, delivery.IdempotencyKey, null);
        // A replay asked for twice starts once: the id carries the delivery's replay count.
        await client.StartOnceAsync(nameof(HookReplayOrchestrator), input, InstanceId(key, delivery.Replays), cancellationToken).ConfigureAwait(false);

        return delivery.IdempotencyKey;
    }
}

/// <summary>
/// <c>GET /api/merchants/{merchantId}/hooks/deliveries?status=failed&amp;hookId=…&amp;callId=…&amp;max=…</c>: every
/// invocation's status, attempts, last status and error, and latency, newest first.
/// </summary>
public sealed class ListHookDeliveries(HookService hooks, IMerchantStore merchants)
{
    [Function(nameof(ListHookDeliveries))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(200, typeof(HookDeliveryList))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/hooks/deliveries")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        HookDeliveryStatus? status = null;
        if (Query.Text(request, "status") is { } text)
        {
            if (Enum.TryParse<HookDeliveryStatus>(text, ignoreCase: true, out var parsed) && text.All(char.IsAsciiLetter))
            {
                status = parsed;
            }
            else
            {
                problems.Add($"status must be one of {string.Join(", ", Enum.GetNames<HookDeliveryStatus>().Select(n => n.ToLowerInvariant()))}.");
            }
        }

        var (max, badMax) = Query.OptionalInt(request, "max");
        if (badMax is not null)
        {
            return badMax;
        }

        if (max is < 1 or > 1_000)
        {
            problems.Add("max must be between 1 and 1000.");
        }

        if (problems.Count > 0)
        {
            return Problems.BadRequest("The query is not valid.", problems);
        }

        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var query = new HookDeliveryQuery(status, Query.Text(request, "hookId"), Query.Text(request, "callId") ?? Query.Text(request, "occurrenceId"), max ?? 100);
        return TypedResults.Ok(new HookDeliveryList(await hooks.ListDeliveriesAsync(merchantId, query, cancellationToken).ConfigureAwait(false)));
    }
}

/// <summary><c>POST /api/merchants/{merchantId}/hooks/deliveries/{idempotencyKey}/replay</c>: send one delivery again, same key.</summary>
public sealed class ReplayHookDelivery(TableHookStore store)
{
    [Function(nameof(ReplayHookDelivery))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(202, typeof(HookReplayStarted))]
    [Problems(401, 404, 409)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/hooks/deliveries/{idempotencyKey}/replay")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, string merchantId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var delivery = await store.GetDeliveryAsync(merchantId, idempotencyKey, cancellationToken).ConfigureAwait(false);
        if (delivery is null)
        {
            return Problems.NotFound($"The merchant '{merchantId}' has no hook delivery '{idempotencyKey}'.");
        }

        if (delivery.Status != HookDeliveryStatus.Failed)
        {
            return Problems.Conflict($"Only failed deliveries are replayed; this one is {delivery.Status.ToString().ToLowerInvariant()}.");
        }

        await HookReplayOrchestrator.StartAsync(durable, store, merchantId, idempotencyKey, cancellationToken).ConfigureAwait(false);
        return TypedResults.Accepted($"/api/merchants/{merchantId}/hooks/deliveries?status=pending", new HookReplayStarted([idempotencyKey]));
    }
}

/// <summary><c>POST /api/merchants/{merchantId}/hooks/deliveries/replay</c>: send every failed delivery again (at most 100 per request).</summary>
public sealed class ReplayFailedHookDeliveries(TableHookStore store, IMerchantStore merchants)
{
    private const int MaxPerRequest = 100;

    [Function(nameof(ReplayFailedHookDeliveries))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(202, typeof(HookReplayStarted))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/hooks/deliveries/replay")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, string merchantId, CancellationToken cancellationToken)
    {
        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var failed = await store.ListDeliveriesAsync(merchantId, new HookDeliveryQuery(HookDeliveryStatus.Failed, Max: MaxPerRequest), cancellationToken).ConfigureAwait(false);
        var started = new List<string>(failed.Count);
        foreach (var delivery in failed)
        {
            if (await HookReplayOrchestrator.StartAsync(durable, store, merchantId, delivery.IdempotencyKey, cancellationToken).ConfigureAwait(false) is { } key)
            {
                started.Add(key);
            }
        }

        return TypedResults.Accepted($"/api/merchants/{merchantId}/hooks/deliveries?status=pending", new HookReplayStarted(started));
    }
}

/// <summary>What a test event came to (not recorded as a delivery).</summary>
public sealed record HookTestResult(HookOutcomeKind Outcome, HookAnswer? Answer, string LastStatus, string? Error, double LatencyMs);

/// <summary><c>POST /api/merchants/{merchantId}/hooks/{hookId}/test?point=…</c>: one attempt with a sample event, answered at once.</summary>
public sealed class SendHookTestEvent(HookService hooks)
{
    [Function(nameof(SendHookTestEvent))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(200, typeof(HookTestResult))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/hooks/{hookId}/test")] HttpRequest request,
        string merchantId, string hookId, CancellationToken cancellationToken)
    {
        var point = Query.Text(request, "point");
        if (point is not null && !HookPoints.IsKnown(point))
        {
            return Problems.BadRequest($"point must be one of {string.Join(", ", HookPoints.All)}.");
        }

        var result = await hooks.SendTestEventAsync(merchantId, hookId, point, cancellationToken).ConfigureAwait(false);
        return result is null
            ? Problems.NotFound($"The merchant '{merchantId}' has no hook '{hookId}'.")
            : TypedResults.Ok(new HookTestResult(result.Kind, result.Answer, result.LastStatus, result.Error, result.Latency.TotalMilliseconds));
    }
}
