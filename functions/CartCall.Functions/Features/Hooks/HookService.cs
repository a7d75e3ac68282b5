using System.Security.Cryptography;
using System.Text.Json;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Merchants;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Hooks;

/// <summary>What a registration command came to; the function maps it to 200/201/400/404.</summary>
public sealed record HookCommandResult(HookCommandStatus Status, HookRegistrationModel? Hook, IReadOnlyList<string> Problems)
{
    public static HookCommandResult Invalid(IReadOnlyList<string> problems) => new(HookCommandStatus.Invalid, null, problems);

    public static readonly HookCommandResult MerchantNotFound = new(HookCommandStatus.MerchantNotFound, null, []);

    public static readonly HookCommandResult NotFound = new(HookCommandStatus.NotFound, null, []);
}

public enum HookCommandStatus
{
    Created,
    Updated,
    Deleted,
    Invalid,
    MerchantNotFound,
    NotFound,
}

/// <summary>
/// The input of the hook activity (one attempt of one hook). <see cref="Payload"/> is the CloudEvent JSON for a first
/// delivery; null for a replay, which sends the stored bytes.
/// </summary>
public sealed record HookActivityInput(string MerchantId, string HookId, string Point, string OccurrenceId, string IdempotencyKey, string? Payload);

/// <summary>What the activity returns to the orchestration.</summary>
/// <param name="Final">No further attempt: the outcome is the hook's outcome at this point.</param>
/// <param name="RetryDelay">When not final, wait this long (a durable timer) and call the activity again.</param>
public sealed record HookActivityResult(
    string HookId, string IdempotencyKey, int Attempt, HookOutcomeKind Kind, HookAnswer? Answer, bool Final, TimeSpan? RetryDelay,
    string LastStatus, string? Error, double LatencyMs)
{
    public HookOutcome ToOutcome() => new(HookId, Kind, Answer, Error);
}

/// <summary>
/// The hooks feature's service: registration commands with validation, one attempt of one hook as the Durable
/// activity runs it (recorded before and after), dead letters, replays and test events. Host-agnostic: functions
/// parse, authenticate, call these and map the results.
/// </summary>
public sealed partial class HookService(
    TableHookStore store,
    IMerchantStore merchants,
    IEnumerable<IHookRunner> runners,
    IOptions<HooksOptions> options,
    TimeProvider time,
    ILogger<HookService> logger)
{
    private readonly Dictionary<HookKind, IHookRunner> runnersByKind = runners.ToDictionary(r => r.Kind);

    public HookValidationRules Rules => new(options.Value.AllowLoopbackWebhooks, options.Value.Processes.Executables.Keys);

    // ---- registrations

    /// <summary>PUT …/hooks/{hookId}: creates or replaces.</summary>
    public async Task<HookCommandResult> UpsertAsync(string merchantId, string hookId, HookRegistrationModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is not { } merchant)
        {
            return HookCommandResult.MerchantNotFound;
        }

        var problems = HookRegistrationValidator.Validate(model.ToDomain(merchantId, hookId), Rules).ToList();
        if (model.Description is { Length: > 500 })
        {
            problems.Add("description is longer than 500 characters.");
        }

        if (model.Kind == HookKind.Webhook && merchant.SigningSecrets.Count == 0)
        {
            problems.Add("the merchant has no signing secret; set one before registering webhook hooks (they are signed with it).");
        }

        var existing = await store.ListAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= HookBounds.MaxHooksPerMerchant && !existing.Any(h => h.HookId == hookId))
        {
            problems.Add($"a merchant has at most {HookBounds.MaxHooksPerMerchant} hooks.");
        }

        if (problems.Count > 0)
        {
            return HookCommandResult.Invalid(problems);
        }

        var stored = HookRegistrationModel.From(model.ToDomain(merchantId, hookId), model.Description, time.GetUtcNow());
        var created = await store.UpsertAsync(merchantId, stored, cancellationToken).ConfigureAwait(false);
        LogRegistered(merchantId, hookId, created ? "created" : "updated");
        return new(created ? HookCommandStatus.Created : HookCommandStatus.Updated, stored, []);
    }

    /// <summary>POST …/hooks: creates under the given id, or a new random one.</summary>
    public Task<HookCommandResult> CreateAsync(string merchantId, HookRegistrationModel model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        var hookId = string.IsNullOrEmpty(model.HookId) ? "hook_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)) : model.HookId;
        return UpsertAsync(merchantId, hookId, model, cancellationToken);
    }

    public Task<HookRegistrationModel?> GetAsync(string merchantId, string hookId, CancellationToken cancellationToken) =>
        store.GetAsync(merchantId, hookId, cancellationToken);

    public Task<IReadOnlyList<HookRegistrationModel>> ListAsync(string merchantId, CancellationToken cancellationToken) =>
        store.ListAsync(merchantId, cancellationToken);

    public async Task<HookCommandResult> DeleteAsync(string merchantId, string hookId, CancellationToken cancellationToken) =>
        await store.DeleteAsync(merchantId, hookId, cancellationToken).ConfigureAwait(false)
            ? new(HookCommandStatus.Deleted, null, [])
            : HookCommandResult.NotFound;

    // ---- delivery

    /// <summary>The payload and key of one hook's invocation for one occurrence (call id or offer id) of a point.</summary>
    public static HookActivityInput PlanInvocation(HookRegistration hook, string point, string occurrenceId, HookEventData data, DateTimeOffset occurredAt)
    {
        ArgumentNullException.ThrowIfNull(hook);
        var key = HookPlan.IdempotencyKey(point, occurrenceId, hook.HookId);
        var payload = System.Text.Encoding.UTF8.GetString(HookCloudEvent.Serialize(key, data, occurredAt));
        return new(hook.MerchantId, hook.HookId, point, occurrenceId, key, payload);
    }

    /// <summary>
    /// One attempt, as the Durable activity runs it: recorded before (attempt count) and after (status, latency,
    /// error). A redelivered activity whose invocation already succeeded returns the stored answer without calling
    /// the hook again. Never throws for what the hook does.
    /// </summary>
    public async Task<HookActivityResult> RunAttemptAsync(HookActivityInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var model = await store.GetAsync(input.MerchantId, input.HookId, cancellationToken).ConfigureAwait(false);
        if (model is null)
        {
            return new(input.HookId, input.IdempotencyKey, 0, HookOutcomeKind.Failed, null, true, null, "hook-gone", "The hook was deleted.", 0);
        }

        var hook = model.ToDomain(input.MerchantId, input.HookId);
        var merchant = await merchants.GetAsync(input.MerchantId, cancellationToken).ConfigureAwait(false);
        byte[] payload;
        if (input.Payload is not null)
        {
            payload = System.Text.Encoding.UTF8.GetBytes(input.Payload);
        }
        else
        {
            payload = (await store.GetDeliveryAsync(input.MerchantId, input.IdempotencyKey, cancellationToken).ConfigureAwait(false))?.Payload ?? [];
        }

        if (payload.Length == 0 || payload.Length > Math.Min(options.Value.MaxPayloadBytes, TableHookStore.MaxPayloadBytes))
        {
            return new(input.HookId, input.IdempotencyKey, 0, HookOutcomeKind.Failed, null, true, null, "no-payload",
                payload.Length == 0 ? "No payload to send (nothing stored for this key)." : "The event is larger than the payload limit.", 0);
        }

        var delivery = await store.BeginAttemptAsync(
            new HookDeliveryStart(input.MerchantId, input.IdempotencyKey, input.HookId, input.Point, input.OccurrenceId, payload),
            time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (delivery.Status == HookDeliveryStatus.Succeeded)
        {
            var stored = delivery.AnswerJson is null ? HookAnswer.Continue : JsonSerializer.Deserialize<HookAnswer>(delivery.AnswerJson, HookJson.Options);
            return new(input.HookId, input.IdempotencyKey, delivery.Attempts, HookOutcomeKind.Answered, stored, true, null,
                delivery.LastStatus ?? "", null, delivery.LastLatencyMs ?? 0);
        }

        var invocation = new HookInvocation(hook, input.Point, input.IdempotencyKey, payload, delivery.Attempts, merchant?.SigningSecrets ?? []);
        var result = runnersByKind.TryGetValue(hook.Kind, out var runner)
            ? await runner.RunAsync(invocation, cancellationToken).ConfigureAwait(false)
            : new HookAttemptResult(HookOutcomeKind.Failed, null, false, null, "no-runner", $"No runner for {hook.Kind} hooks here.", TimeSpan.Zero, null);

        // Attempts count per delivery, across replays too: a replay gets a fresh set of attempts.
        var attemptsThisRound = delivery.Attempts - delivery.AttemptsAtLastReplay;
        var final = result.Succeeded || !result.Transient || attemptsThisRound >= hook.Retry.MaxAttempts;
        await store.CompleteAttemptAsync(delivery, result, final, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        LogAttempt(input.MerchantId, input.HookId, input.OccurrenceId, delivery.Attempts, result.LastStatus, result.Kind, result.Latency.TotalMilliseconds);

        return new(input.HookId, input.IdempotencyKey, delivery.Attempts, result.Kind, result.Answer, final,
            final ? null : hook.Retry.DelayBefore(attemptsThisRound + 1, result.RetryAfter),
            result.LastStatus, result.Error, result.Latency.TotalMilliseconds);
    }

    /// <summary>"Send a test event": one attempt at a hook with a sample event, not recorded as a delivery.</summary>
    public async Task<HookAttemptResult?> SendTestEventAsync(string merchantId, string hookId, string? point, CancellationToken cancellationToken)
    {
        var model = await store.GetAsync(merchantId, hookId, cancellationToken).ConfigureAwait(false);
        if (model is null)
        {
            return null;
        }

        var hook = model.ToDomain(merchantId, hookId);
        var at = time.GetUtcNow();
        point ??= hook.Points.FirstOrDefault() ?? HookPoints.CallBeforeDial;
        var key = "test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var payload = HookCloudEvent.Serialize(key, SampleEvent(merchantId, point, at), at);
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        var invocation = new HookInvocation(hook, point, key, payload, 1, merchant?.SigningSecrets ?? []);
        return runnersByKind.TryGetValue(hook.Kind, out var runner) ? await runner.RunAsync(invocation, cancellationToken).ConfigureAwait(false) : null;
    }

    public Task<IReadOnlyList<HookDelivery>> ListDeliveriesAsync(string merchantId, HookDeliveryQuery query, CancellationToken cancellationToken) =>
        store.ListDeliveriesAsync(merchantId, query, cancellationToken);

    /// <summary>Readies one dead letter for a replay and returns the activity input to schedule (same key, stored payload).</summary>
    public async Task<HookActivityInput?> PrepareReplayAsync(string merchantId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var delivery = await store.PrepareReplayAsync(merchantId, idempotencyKey, cancellationToken).ConfigureAwait(false);
        return delivery is null ? null : new(delivery.MerchantId, delivery.HookId, delivery.Point, delivery.OccurrenceId, delivery.IdempotencyKey, null);
    }

    /// <summary>Readies every failed delivery of the merchant (at most <paramref name="max"/>) for a replay.</summary>
    public async Task<IReadOnlyList<HookActivityInput>> PrepareReplayAllFailedAsync(string merchantId, int max, CancellationToken cancellationToken)
    {
        var failed = await store.ListDeliveriesAsync(merchantId, new HookDeliveryQuery(HookDeliveryStatus.Failed, Max: max), cancellationToken).ConfigureAwait(false);
        var inputs = new List<HookActivityInput>(failed.Count);
        foreach (var delivery in failed)
        {
            if (await PrepareReplayAsync(merchantId, delivery.IdempotencyKey, cancellationToken).ConfigureAwait(false) is { } input)
            {
                inputs.Add(input);
            }
        }

        return inputs;
    }

    private static HookEventData SampleEvent(string merchantId, string point, DateTimeOffset at) => new()
    {
        Point = point,
        MerchantId = merchantId,
        SessionId = "test-session",
        Cart = new HookCart("USD", 129.90m, [new HookCartItem("SKU-TEST", "Test item", 1, 129.90m)]),
        Score = new HookScore(0.82, "hesitating", ["high cart value", "long dwell on checkout"]),
        Offer = new HookOffer("test-offer", at, at.AddMinutes(10), 12.5m),
        Call = point.StartsWith("call.", StringComparison.Ordinal) ? new HookCall("test-call", "voip", "queued") : null,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Hook {HookId} of merchant {MerchantId} {Change}")]
    private partial void LogRegistered(string merchantId, string hookId, string change);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Hook {HookId} of merchant {MerchantId} for {OccurrenceId}: attempt {Attempt} {LastStatus} {Outcome} in {LatencyMs:0.0} ms")]
    private partial void LogAttempt(string merchantId, string hookId, string occurrenceId, int attempt, string lastStatus, HookOutcomeKind outcome, double latencyMs);
}
