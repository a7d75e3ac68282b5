using CartCall.Domain.Billing;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Billing;

/// <summary>What a daily close did: holds cancelled, and months closed (<c>merchant/yyyy-MM</c>).</summary>
public sealed record DailyCloseReport(int HoldsSwept, IReadOnlyList<string> MonthsClosed);

/// <summary>What a refund did; problems mean nothing was refunded or posted.</summary>
public sealed record RefundResult(bool Ok, IReadOnlyList<string> Problems, long CapturedMinor, long RefundedMinor);

/// <summary>What placing a hold at accept gave.</summary>
/// <param name="ClientSecret">For the widget's Payment Element; null when the hold was refused.</param>
/// <param name="Placed">This call stored the hold (false when an earlier accept had placed it).</param>
public sealed record PlaceHoldResult(bool Ok, IReadOnlyList<string> Problems, ShopperHold? Hold, string? ClientSecret, string? DeclineCode, bool Placed = false);

/// <summary>
/// Billing's feature service: rates ended calls and posts them, settles shopper holds with the payment provider,
/// reconciles provider webhooks, closes months. Every method is idempotent (deterministic keys for the ledger and the
/// provider), so it can run as a Durable activity with retries or from an at-least-once queue trigger. Provider
/// outages surface as <see cref="PaymentProviderUnavailableException"/>: retry the same call later.
/// </summary>
public sealed partial class BillingService(
    ILedgerStore ledger,
    IPlanStore plans,
    IShopperHoldStore holds,
    IPaymentProvider provider,
    IOptions<BillingOptions> options,
    TimeProvider time,
    ILogger<BillingService> logger)
{
    public static string HoldKey(string callId) => "cartcall-hold-" + callId;

    public static string CaptureKey(string callId) => "cartcall-capture-" + callId;

    public static string CancelKey(string callId) => "cartcall-cancel-" + callId;

    /// <summary>
    /// Bills one ended call: rates it under the plan of its local day, posts usage and telephony cost, and captures or
    /// cancels the shopper's hold. A duplicate or replay posts nothing twice and never captures twice.
    /// </summary>
    public async Task<CallBillingResult> SettleCallAsync(CallEndedBilling ended, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ended);
        var usage = ended.ToUsage();
        var problems = usage.Validate().ToList();
        if (ended.EndedAt < ended.CreatedAt)
        {
            problems.Add("endedAt must not be before createdAt.");
        }

        if (problems.Count > 0)
        {
            return new CallBillingResult(ended.CallId, CallBillingOutcome.Invalid, problems, null, PostingReport.Empty, null);
        }

        var schedule = await plans.GetForCallAsync(ended.MerchantId, usage.StartedAt, cancellationToken).ConfigureAwait(false);
        if (schedule is null)
        {
            LogNoPlan(logger, ended.CallId, ended.MerchantId);
            return new CallBillingResult(ended.CallId, CallBillingOutcome.NoPlan, [$"Merchant '{ended.MerchantId}' has no plan."], null, PostingReport.Empty, null);
        }

        var bill = CallBilling.Bill(usage, schedule, options.Value.Tariff, ended.EndedAt);
        var posting = await ledger.PostAsync(bill.Transactions, cancellationToken).ConfigureAwait(false);
        var hold = await SettleHoldAsync(usage, ended.EndedAt, cancellationToken).ConfigureAwait(false);
        if (hold.Posting is { } paymentPosting)
        {
            posting = new PostingReport(posting.Posted + paymentPosting.Posted, posting.AlreadyPosted + paymentPosting.AlreadyPosted,
                [.. posting.Conflicts, .. paymentPosting.Conflicts]);
        }

        LogBilled(logger, ended.CallId, ended.MerchantId, bill.Rating.Total.ToString(), posting.Posted, posting.AlreadyPosted);
        return new CallBillingResult(ended.CallId, CallBillingOutcome.Billed, [], bill.Rating, posting, hold.Settlement);
    }

    /// <summary>
    /// Places the hold for a paid call at accept: a manual-capture payment for the flat price or the cap. Idempotent by
    /// call: a retried accept returns the same hold. Declines (when a method is given) and bad prices store nothing.
    /// </summary>
    public async Task<PlaceHoldResult> PlaceHoldAsync(string callId, string merchantId, ShopperPrice price, DateTimeOffset callCreatedAt, string timeZone,
        string? paymentMethod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(price);
        var problems = price.Validate();
        if (problems.Count > 0)
        {
            return new PlaceHoldResult(false, problems, null, null, null);
        }

        var existing = await holds.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return new PlaceHoldResult(true, [], existing, existing.ClientSecret, null);
        }

        ProviderPayment payment;
        try
        {
            payment = await provider.CreateHoldAsync(new HoldRequest(callId, merchantId, price.Hold, "CartCall call " + callId, HoldKey(callId), paymentMethod), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PaymentDeclinedException e)
        {
            // No hold exists; the shopper may try another card through the same payment (the widget's form).
            return new PlaceHoldResult(false, [e.Message], null, e.Payment?.ClientSecret, e.DeclineCode ?? e.Code);
        }

        var now = time.GetUtcNow();
        var hold = new ShopperHold
        {
            CallId = callId,
            MerchantId = merchantId,
            PaymentId = payment.Id,
            ClientSecret = payment.ClientSecret,
            Price = price,
            AmountMinor = price.Hold.Minor,
            Currency = price.Currency,
            Status = payment.Status == ProviderPaymentStatus.Held ? HoldStatus.Held : HoldStatus.Pending,
            Period = StatementPeriod.Of(callCreatedAt, timeZone).ToString(),
            CreatedAt = now,
            AuthorizedAt = payment.Status == ProviderPaymentStatus.Held ? now : null,
        };
        hold = await holds.AddAsync(hold, cancellationToken).ConfigureAwait(false);
        if (hold.Status == HoldStatus.Held)
        {
            await ledger.PostAsync(HoldPlacedEntries(hold), cancellationToken).ConfigureAwait(false);
        }

        return new PlaceHoldResult(true, [], hold, hold.ClientSecret, null, Placed: true);
    }

    /// <summary>
    /// The accept's check of a paid call: places (or finds) the call's hold, and when it is still pending asks the
    /// provider, so a hold the shopper has just confirmed in the Payment Element counts at once, before its webhook.
    /// </summary>
    public async Task<PlaceHoldResult> AuthorizeHoldAsync(string callId, string merchantId, ShopperPrice price, DateTimeOffset callCreatedAt, string timeZone,
        string? paymentMethod, CancellationToken cancellationToken)
    {
        var placed = await PlaceHoldAsync(callId, merchantId, price, callCreatedAt, timeZone, paymentMethod, cancellationToken).ConfigureAwait(false);
        if (!placed.Ok || placed.Hold is not { Status: HoldStatus.Pending } pending)
        {
            return placed;
        }

        var payment = await provider.GetAsync(pending.PaymentId, cancellationToken).ConfigureAwait(false);
        if (payment.Status != ProviderPaymentStatus.Held)
        {
            return placed;
        }

        await ReconcileAsync(new PaymentEvent("poll_" + payment.Id, "payment_intent.amount_capturable_updated", time.GetUtcNow().UtcDateTime, payment, callId),
            cancellationToken).ConfigureAwait(false);
        var hold = await holds.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        return new PlaceHoldResult(true, [], hold, hold?.ClientSecret, null, placed.Placed);
    }

    /// <summary>
    /// Reconciles a verified provider event with the holds and the ledger: an authorisation marks the hold held (and
    /// posts it); a cancellation by the provider (expiry) releases it. Replayed events change nothing.
    /// </summary>
    public async Task<HoldSettlement?> ReconcileAsync(PaymentEvent paymentEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paymentEvent);
        if (paymentEvent.CallId is null || paymentEvent.Payment is null)
        {
            return null;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var hold = await holds.GetAsync(paymentEvent.CallId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.PaymentId != paymentEvent.Payment.Id)
            {
                LogUnknownPayment(logger, paymentEvent.Type, paymentEvent.Payment.Id, paymentEvent.CallId);
                return null;
            }

            var payment = paymentEvent.Payment;
            if (hold.Status == HoldStatus.Pending && payment.Status == ProviderPaymentStatus.Held)
            {
                hold.Status = HoldStatus.Held;
                hold.AuthorizedAt = time.GetUtcNow();
                if (!await holds.TryUpdateAsync(hold, cancellationToken).ConfigureAwait(false)) continue;
                await ledger.PostAsync(HoldPlacedEntries(hold), cancellationToken).ConfigureAwait(false);
            }
            else if (hold.IsOpen && payment.Status == ProviderPaymentStatus.Cancelled)
            {
                var wasHeld = hold.Status == HoldStatus.Held;
                hold.Status = HoldStatus.Cancelled;
                hold.Reason = "provider_" + (payment.CancellationReason ?? "cancelled");
                hold.SettledAt = time.GetUtcNow();
                hold.ClientSecret = null;
                if (!await holds.TryUpdateAsync(hold, cancellationToken).ConfigureAwait(false)) continue;
                if (wasHeld)
                {
                    await ledger.PostAsync([.. HoldPlacedEntries(hold), .. SettledEntries(hold, null)], cancellationToken).ConfigureAwait(false);
                }
            }
            else if (hold.Status == HoldStatus.Captured && payment.Status == ProviderPaymentStatus.Captured && payment.Received.Minor != hold.CapturedMinor)
            {
                LogCaptureMismatch(logger, hold.CallId, payment.Id, hold.CapturedMinor ?? 0, payment.Received.Minor);
            }

            return new HoldSettlement(hold.Status, hold.CapturedMinor, hold.Reason);
        }

        throw new InvalidOperationException($"The hold of call {paymentEvent.CallId} kept changing under reconciliation.");
    }

    /// <summary>
    /// Refunds part of a paid call's captured amount. Refunds above what was captured and not yet refunded are refused
    /// with a reason and touch nothing; <paramref name="refundId"/> (the caller's, e.g. a support ticket) makes a retry
    /// of the same refund harmless.
    /// </summary>
    public async Task<RefundResult> RefundAsync(string callId, Money amount, string refundId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(refundId) || refundId.Length > 64 || refundId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_')))
        {
            return new RefundResult(false, ["refundId must be 1–64 letters, digits, hyphens or underscores."], 0, 0);
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var hold = await holds.GetAsync(callId, cancellationToken).ConfigureAwait(false);
            if (hold is null || hold.Status != HoldStatus.Captured || hold.CapturedMinor is not { } capturedMinor)
            {
                return new RefundResult(false, [$"Call '{callId}' has no captured payment to refund."], 0, 0);
            }

            _ = StatementPeriod.TryParse(hold.Period, out var period);
            if (hold.Refunds.FirstOrDefault(r => r.RefundId == refundId) is { } done)
            {
                // A retry: make sure the entry is there (a crash may have come between the two writes) and answer as before.
                await ledger.PostAsync([LedgerRules.Refund(hold.MerchantId, callId, refundId, new Money(done.AmountMinor, hold.Amount.Currency), period, done.At)],
                    cancellationToken).ConfigureAwait(false);
                return new RefundResult(true, [], capturedMinor, hold.RefundedMinor);
            }

            var captured = new Money(capturedMinor, hold.Amount.Currency);
            var problems = Refunds.Validate(captured, new Money(hold.RefundedMinor, captured.Currency), amount);
            if (problems.Count > 0)
            {
                return new RefundResult(false, problems, capturedMinor, hold.RefundedMinor);
            }

            var refund = await provider.RefundAsync(hold.PaymentId, amount, $"cartcall-refund-{callId}-{refundId}", cancellationToken).ConfigureAwait(false);
            var record = new HoldRefund(refundId, amount.Minor, refund.Id, time.GetUtcNow());
            hold.Refunds.Add(record);
            if (!await holds.TryUpdateAsync(hold, cancellationToken).ConfigureAwait(false))
            {
                // Someone else changed the hold; the provider call is idempotent by key, so going round again is safe.
                continue;
            }

            await ledger.PostAsync([LedgerRules.Refund(hold.MerchantId, callId, refundId, amount, period, record.At)], cancellationToken).ConfigureAwait(false);
            return new RefundResult(true, [], capturedMinor, hold.RefundedMinor);
        }

        throw new InvalidOperationException($"The hold of call {callId} kept changing during a refund.");
    }

    /// <summary>
    /// Releases the hold of a call that will never be placed (the shopper dismissed the offer at the payment step):
    /// cancelled at the provider whether or not the shopper had authorised it, so no hold is left dangling. Nothing to
    /// do without a hold or once it is settled; safe to repeat (the cancel carries the call's fixed key).
    /// </summary>
    public async Task<HoldSettlement?> ReleaseHoldAsync(string callId, string reason, CancellationToken cancellationToken)
    {
        var hold = await holds.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (hold is null || !hold.IsOpen)
        {
            return hold is null ? null : new HoldSettlement(hold.Status, hold.CapturedMinor, hold.Reason);
        }

        var (settlement, _) = await SettleOpenHoldAsync(hold, null, reason, cancellationToken).ConfigureAwait(false);
        return settlement;
    }

    /// <summary>Cancels holds still open long after they were placed (their call is long over, or never happened).</summary>
    public async Task<int> SweepHoldsAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.SweepHoldsAfter;
        var swept = 0;
        await foreach (var hold in holds.ListOpenAsync(cutoff, cancellationToken).ConfigureAwait(false))
        {
            var settled = await SettleOpenHoldAsync(hold, null, "swept", cancellationToken).ConfigureAwait(false);
            if (settled.Settlement?.Status == HoldStatus.Cancelled) swept++;
        }

        return swept;
    }

    /// <summary>Posts the month's plan fee and included-minutes credit (idempotent by merchant and month).</summary>
    public async Task<(MonthlyStatement? Statement, PostingReport Posting)> CloseMonthAsync(
        string merchantId, StatementPeriod period, StatementService statements, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var statement = await statements.BuildAsync(merchantId, period, cancellationToken).ConfigureAwait(false);
        if (statement is null || statement.Closed)
        {
            return (statement, PostingReport.Empty);
        }

        var posting = await ledger.PostAsync(StatementBuilder.CloseEntries(statement, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return (statement with { Closed = true }, posting);
    }

    /// <summary>
    /// The daily close (a timer): sweeps forgotten holds, and in the first days of each merchant's local month closes
    /// the month before (plan fee and included-minutes credit). Idempotent, so a missed or doubled run is harmless.
    /// </summary>
    public async Task<DailyCloseReport> DailyCloseAsync(StatementService statements, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var swept = await SweepHoldsAsync(cancellationToken).ConfigureAwait(false);
        var closed = new List<string>();
        var now = time.GetUtcNow();
        await foreach (var merchantId in plans.ListMerchantsAsync(cancellationToken).ConfigureAwait(false))
        {
            var schedule = await plans.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
            var today = PlanSchedule.LocalDate(now, schedule!.TimeZoneId);
            // Late entries of a month (calls that ended just after midnight) arrive within minutes; days 1–3 leave room
            // for retries of a failed close without closing a month that is still open.
            if (today.Day > 3)
            {
                continue;
            }

            var previous = StatementPeriod.Of(today.AddMonths(-1));
            var (_, posting) = await CloseMonthAsync(merchantId, previous, statements, cancellationToken).ConfigureAwait(false);
            if (posting.Posted > 0)
            {
                closed.Add($"{merchantId}/{previous}");
            }
        }

        return new DailyCloseReport(swept, closed);
    }

    private async Task<(HoldSettlement? Settlement, PostingReport? Posting)> SettleHoldAsync(CallUsage usage, DateTimeOffset endedAt, CancellationToken cancellationToken)
    {
        var hold = await holds.GetAsync(usage.CallId, cancellationToken).ConfigureAwait(false);
        if (hold is null)
        {
            return (null, null);
        }

        return await SettleOpenHoldAsync(hold, usage, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Captures or cancels one hold and posts its entries. Safe to repeat: the provider call carries a fixed key, and a
    /// hold already settled only has its (idempotent) entries posted again, which covers a crash between the two.
    /// </summary>
    private async Task<(HoldSettlement? Settlement, PostingReport? Posting)> SettleOpenHoldAsync(
        ShopperHold hold, CallUsage? usage, string? forcedReason, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (!hold.IsOpen)
            {
                var entries = hold.AuthorizedAt is null ? [] : HoldPlacedEntries(hold).Concat(SettledEntries(hold, hold.CapturedMinor)).ToList();
                var again = await ledger.PostAsync(entries, cancellationToken).ConfigureAwait(false);
                return (new HoldSettlement(hold.Status, hold.CapturedMinor, hold.Reason), again);
            }

            var settlement = usage is null
                ? ShopperSettlement.Cancel(ShopperCancelReason.NeverConnected)
                : hold.Price.Settle(hold.Amount, usage.Connected, usage.ConnectedSeconds);
            if (settlement.IsCapture && hold.Status == HoldStatus.Pending
                && (await provider.GetAsync(hold.PaymentId, cancellationToken).ConfigureAwait(false)).Status == ProviderPaymentStatus.Held)
            {
                // The authorisation webhook has not arrived (or was lost): the provider says the hold exists.
                hold.Status = HoldStatus.Held;
                hold.AuthorizedAt = time.GetUtcNow();
            }

            var previous = hold.Status;
            ProviderPayment result;
            try
            {
                result = settlement.IsCapture && hold.Status == HoldStatus.Held
                    ? await provider.CaptureAsync(hold.PaymentId, settlement.Amount!.Value, CaptureKey(hold.CallId), cancellationToken).ConfigureAwait(false)
                    : await provider.CancelAsync(hold.PaymentId, CancelKey(hold.CallId), cancellationToken).ConfigureAwait(false);
            }
            catch (PaymentStateException e)
            {
                // Settled before (by us before a crash, or expired at the provider): the provider's state is the truth.
                result = e.Current;
            }

            var wasHeld = previous == HoldStatus.Held || result.Status == ProviderPaymentStatus.Captured;
            hold.AuthorizedAt ??= wasHeld ? time.GetUtcNow() : null;
            hold.ClientSecret = null;
            hold.SettledAt = time.GetUtcNow();
            switch (result.Status)
            {
                case ProviderPaymentStatus.Captured:
                    hold.Status = HoldStatus.Captured;
                    hold.CapturedMinor = Math.Min(result.Received.Minor, hold.AmountMinor);
                    hold.Reason = null;
                    break;
                case ProviderPaymentStatus.Cancelled:
                    hold.Status = HoldStatus.Cancelled;
                    hold.Reason = forcedReason ?? (settlement.IsCapture && previous != HoldStatus.Held
                        ? "never_authorized"
                        : settlement.Reason is { } r ? ReasonName(r) : "provider_" + (result.CancellationReason ?? "cancelled"));
                    if (!wasHeld) hold.AuthorizedAt = null;
                    break;
                default:
                    // Still open at the provider (e.g. the shopper is mid 3-D Secure): leave it for the webhook or the sweep.
                    return (new HoldSettlement(hold.Status, null, "provider_" + result.Status), null);
            }

            if (!await holds.TryUpdateAsync(hold, cancellationToken).ConfigureAwait(false))
            {
                hold = (await holds.GetAsync(hold.CallId, cancellationToken).ConfigureAwait(false))!;
                continue;
            }

            LogSettled(logger, hold.CallId, hold.Status, hold.CapturedMinor ?? 0, hold.Reason);
            // The next pass finds the hold settled and posts its entries.
        }

        throw new InvalidOperationException($"The hold of call {hold.CallId} kept changing while it was settled.");
    }

    private static string ReasonName(ShopperCancelReason reason) => reason switch
    {
        ShopperCancelReason.NeverConnected => "never_connected",
        ShopperCancelReason.ShorterThanMinimum => "shorter_than_minimum",
        _ => "nothing_to_charge",
    };

    private static List<LedgerTransaction> HoldPlacedEntries(ShopperHold hold)
    {
        _ = StatementPeriod.TryParse(hold.Period, out var period);
        return LedgerRules.HoldPlaced(hold.MerchantId, hold.CallId, hold.Amount, period, hold.AuthorizedAt ?? hold.CreatedAt, hold.PaymentId) is { } placed
            ? [placed]
            : [];
    }

    private List<LedgerTransaction> SettledEntries(ShopperHold hold, long? capturedMinor)
    {
        _ = StatementPeriod.TryParse(hold.Period, out var period);
        var captured = capturedMinor is { } c ? new Money(c, hold.Amount.Currency) : (Money?)null;
        return [.. CallBilling.HoldSettled(hold.MerchantId, hold.CallId, hold.Amount, captured, options.Value.Fees, period,
            hold.SettledAt ?? hold.CreatedAt, hold.PaymentId)];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} of {MerchantId} billed {Amount}: {Posted} entries posted, {AlreadyPosted} already there")]
    private static partial void LogBilled(ILogger logger, string callId, string merchantId, string amount, int posted, int alreadyPosted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: merchant {MerchantId} has no plan; not billed")]
    private static partial void LogNoPlan(ILogger logger, string callId, string merchantId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hold of call {CallId}: {Status}, captured {CapturedMinor}, {Reason}")]
    private static partial void LogSettled(ILogger logger, string callId, HoldStatus status, long capturedMinor, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider event {EventType} for payment {PaymentId} (call {CallId}) matches no hold")]
    private static partial void LogUnknownPayment(ILogger logger, string eventType, string paymentId, string callId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {CallId}: payment {PaymentId} captured {Expected} by our books but {Actual} at the provider")]
    private static partial void LogCaptureMismatch(ILogger logger, string callId, string paymentId, long expected, long actual);
}
