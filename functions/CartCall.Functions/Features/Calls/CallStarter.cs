using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Hosting;
using Microsoft.DurableTask;
using CartCall.Domain.Preferences;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>Starts a recorded call's life. A port, so call admission can be exercised without a Durable engine.</summary>
public interface ICallStarter
{
    /// <summary>Starts the call's orchestration unless it runs already, and dials at once when the call is not scheduled.</summary>
    Task StartAsync(CallRecord call, CancellationToken cancellationToken);
}

/// <summary>
/// Starts a call: places it at once — the shopper is waiting, and an orchestration's first turn can lag behind its
/// queue's polling — and, beside the dial, starts the call's Durable orchestration under the call's id, which refuses a
/// second start of the same call whatever state the first is in. The orchestration dials too, with the same
/// repeatability id, so ACS answers its dial as a repeat of this one and the call rings once. If this process dies
/// between the dial and the start, the call's first callback starts the orchestration (see <see cref="RestartAsync"/>).
/// </summary>
/// <remarks>
/// A merchant with <c>call.before_dial</c> hooks gets no early dial: the orchestration dials once the hooks have
/// answered (or their deadline passed). The merchant's hooked points are read here, once per call, and passed to the
/// orchestration, so a merchant without hooks costs the call one small Table query and nothing in the orchestration.
/// <c>offer.accepted</c>'s hooks are started here beside the call, as a notification the accept does not wait for.
/// </remarks>
public sealed partial class DurableCallStarter(
    DurableTaskClient client, CallDialer dialer, TableHookStore hooks, IOptions<CallsOptions> options, IOptions<HooksOptions> hookOptions,
    ILogger<DurableCallStarter> logger) : ICallStarter
{
    public async Task StartAsync(CallRecord call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var input = await WithCurrentHooksAsync(hooks, hookOptions.Value, call.MerchantId, InputFor(call, options.Value), dialled: false, cancellationToken)
            .ConfigureAwait(false);
        var points = input.HookPoints ?? [];
        var dialEarly = call.ScheduledFor is null && call.Status == CallStatus.Queued && !points.Contains(HookPoints.CallBeforeDial);
        var dial = dialEarly ? DialEarlyAsync(call, input, cancellationToken) : Task.CompletedTask;
        await Task.WhenAll(EnsureStartedAsync(client, call, input, cancellationToken), dial, AcceptedHooksAsync(call, points, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the orchestration of a call that ACS already knows (its first callback found no orchestration: the accept
    /// died between its dial and the start). The merchant's hooks are read now, as for any start, so the call's later
    /// points run theirs; <c>call.before_dial</c> is left out, since the call was dialled before it could run.
    /// <c>offer.accepted</c>'s hooks are started too unless they were (their instance id is the offer's).
    /// </summary>
    public async Task RestartAsync(CallRecord call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var input = await WithCurrentHooksAsync(hooks, hookOptions.Value, call.MerchantId, InputFor(call, options.Value), dialled: true, cancellationToken)
            .ConfigureAwait(false);
        await Task.WhenAll(EnsureStartedAsync(client, call, input, cancellationToken), AcceptedHooksAsync(call, input.HookPoints ?? [], cancellationToken))
            .ConfigureAwait(false);
    }

    /// <summary>The lifecycle points at which the merchant has an enabled hook now.</summary>
    private static async Task<IReadOnlyList<string>> HookedPointsAsync(TableHookStore hooks, string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        var registrations = await hooks.ListRegistrationsAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return [.. HookPoints.All.Where(p => registrations.Any(r => r.ListensTo(p)))];
    }

    /// <summary><paramref name="input"/> with the points the merchant has hooks at now (see <see cref="WithHooks"/>).</summary>
    public static async Task<CallOrchestrationInput> WithCurrentHooksAsync(
        TableHookStore hooks, HooksOptions options, string merchantId, CallOrchestrationInput input, bool dialled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var points = await HookedPointsAsync(hooks, merchantId, cancellationToken).ConfigureAwait(false);
        return WithHooks(input, points, options.BeforeDialDeadline, dialled);
    }

    /// <summary>
    /// <paramref name="input"/> with the hooked points the call's orchestration runs. <paramref name="dialled"/>: the call
    /// has been placed already, so <c>call.before_dial</c> could neither stop nor steer it and is not run; its hooks
    /// would only be told of a dial that happened without them.
    /// </summary>
    public static CallOrchestrationInput WithHooks(CallOrchestrationInput input, IReadOnlyList<string> points, TimeSpan beforeDialDeadline, bool dialled)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(points);
        var run = dialled ? points.Where(p => p != HookPoints.CallBeforeDial).ToList() : points;
        return input with { HookPoints = run.Count == 0 ? null : run, BeforeDialDeadline = beforeDialDeadline };
    }

    private Task AcceptedHooksAsync(CallRecord call, IReadOnlyList<string> points, CancellationToken cancellationToken) =>
        points.Contains(HookPoints.OfferAccepted) && !string.IsNullOrEmpty(call.OfferId)
            ? StartAcceptedHooksAsync(call, cancellationToken)
            : Task.CompletedTask;

    private Task StartAcceptedHooksAsync(CallRecord call, CancellationToken cancellationToken) =>
        // A repeated accept starts nothing: the offer's hooks run once.
        HookFanOutOrchestrator.StartOnceAsync(
            client, new HookFanOutInput(HookPoints.OfferAccepted, call.OfferId, call.MerchantId, null, call.CreatedAt), cancellationToken);

    /// <summary>Starts the call's orchestration unless an instance under its id exists, in any state.</summary>
    public static Task EnsureStartedAsync(DurableTaskClient client, CallRecord call, CallOrchestrationInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        // Started already (a repeated accept, a concurrent start): one orchestration per call.
        return client.StartOnceAsync(nameof(CallOrchestrator), input, call.CallId, cancellationToken);
    }

    private async Task DialEarlyAsync(CallRecord call, CallOrchestrationInput input, CancellationToken cancellationToken)
    {
        try
        {
            await dialer.DialAsync(call.CallId, 1, input.FirstDialSent, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The orchestration dials again with the same id: a failure here only costs the head start.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogEarlyDialFailed(e, call.CallId);
        }
    }

    public static CallOrchestrationInput InputFor(CallRecord call, CallsOptions options)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(options);
        var shopper = call.Mode == CallMode.Phone ? "4:" + call.ShopperPhone : call.ShopperAcsUserId ?? "";
        var plan = new CallPlan(call.CallId, call.Mode, shopper, call.ScheduledFor, IsCallback: call.CallbackOf is not null,
            CallbackWhenNoAgent: true, HasGreeting: options.GreetingPromptUrl is not null, HasApology: options.ApologyPromptUrl is not null);
        return new CallOrchestrationInput(plan, options.Timings(), options.AgentUnavailableCallbackDelay, call.ScheduledFor ?? call.CreatedAt);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: the accept's own dial failed; the orchestration dials")]
    private partial void LogEarlyDialFailed(Exception e, string callId);
}

/// <summary>
/// Makes <see cref="DurableCallStarter"/>s for functions that have a Durable client binding (the client is the
/// function's, the rest is the app's), and gives other starts of a call (a callback) the merchant's current hooks.
/// </summary>
public sealed class DurableCallStarters(
    CallDialer dialer, TableHookStore hooks, IOptions<CallsOptions> options, IOptions<HooksOptions> hookOptions, ILoggerFactory loggers)
{
    public DurableCallStarter For(DurableTaskClient client) =>
        new(client, dialer, hooks, options, hookOptions, loggers.CreateLogger<DurableCallStarter>());

    /// <summary>
    /// <paramref name="input"/> with the points the merchant has hooks at now. A callback is a new call dialled an hour
    /// or more after the call it follows: the merchant may have added, changed or removed hooks since.
    /// </summary>
    public Task<CallOrchestrationInput> WithCurrentHooksAsync(string merchantId, CallOrchestrationInput input, CancellationToken cancellationToken) =>
        DurableCallStarter.WithCurrentHooksAsync(hooks, hookOptions.Value, merchantId, input, dialled: false, cancellationToken);
}
