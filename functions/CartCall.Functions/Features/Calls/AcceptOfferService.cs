using System.Diagnostics;
using System.Globalization;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// An accept as the function read it: the ids, what the shopper picked, the preferences from the signed cookie (when
/// valid) or else from the body (checked here), and the client as the platform saw it. No HTTP types, so a Durable
/// activity can run the same admission.
/// </summary>
public sealed record AcceptOfferCommand(
    string OfferId,
    string MerchantId,
    string SessionId,
    CallMode? Mode,
    bool BrowserCanDoAudio,
    ShopperPreferences? CookiePreferences,
    PreferencesUpdate? BodyPreferences,
    string? Origin,
    string? ClientAddress)
{
    /// <summary>The offer when the caller has already loaded it (the storefront middleware has); else it is read.</summary>
    public OfferRecord? Offer { get; init; }

    /// <summary>A paid call's payment method to confirm the hold with at once; null leaves it to the Payment Element.</summary>
    public string? PaymentMethod { get; init; }
}

/// <summary>A paid call's payment still to be made (or refused): what the widget shows and confirms.</summary>
/// <param name="Element">Where the widget takes the payment details (Stripe's Payment Element, or the stand-in's); null when there is nothing to confirm.</param>
public sealed record PaymentDue(Domain.Billing.ShopperPrice Price, string? ClientSecret, string? PublishableKey, string? DeclineCode,
    Adapters.Stripe.PaymentElementView? Element = null);

/// <summary>Why an accept placed no call.</summary>
public enum AcceptRefusal
{
    /// <summary>Accepted: a call, a repeat of one, or the shopper must choose (needs_choice).</summary>
    None,
    NotFound,
    Invalid,
    Forbidden,
    Conflict,
    RateLimited,

    /// <summary>A paid call whose hold is not authorised yet, or was declined (402).</summary>
    PaymentRequired,
}

/// <summary>What became of an accept: the answer for the widget, or the refusal with why (and, when rate limited, until when).</summary>
public sealed record AcceptOfferOutcome(AcceptRefusal Refusal, AcceptOfferResponse? Response, string? Location, string? Detail, TimeSpan? RetryAfter)
{
    public static AcceptOfferOutcome Accepted(AcceptOfferResponse response, string? location) => new(AcceptRefusal.None, response, location, null, null);

    public static AcceptOfferOutcome Refused(AcceptRefusal why, string detail, TimeSpan? retryAfter = null) => new(why, null, null, detail, retryAfter);

    /// <summary>Set when <see cref="Refusal"/> is <see cref="AcceptRefusal.PaymentRequired"/>.</summary>
    public PaymentDue? Payment { get; init; }
}

/// <summary>
/// Call admission, the Calls feature service behind AcceptOffer: mode selection and the guards (consent, quiet hours,
/// toll fraud, today's call budget, an agent available — all read fresh), the reservations against the per-hour and
/// per-day limits, and the call recorded under an id derived from the offer (a second accept finds it and dials
/// nothing), and its orchestration started. A function or a Durable activity calls it; neither needs HTTP to.
/// </summary>
public sealed partial class AcceptOfferService(
    TableOfferStore offers,
    OfferAnswerService answers,
    IMerchantStore merchants,
    ISessionStore sessions,
    TableAgentStore agents,
    TableCallStore calls,
    CallCounters counters,
    CallStatusNotifier notifier,
    AcsIdentityClient identity,
    BrowserCalling calling,
    ShopperPreferencesService preferences,
    Billing.BillingService billing,
    Billing.UnusedHolds unusedHolds,
    IOptions<Adapters.Stripe.StripeOptions> stripe,
    IOptions<CallsOptions> options,
    TimeProvider time,
    ILogger<AcceptOfferService> logger)
{
    public async Task<AcceptOfferOutcome> AcceptAsync(AcceptOfferCommand command, ICallStarter starter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(starter);
        ArgumentNullException.ThrowIfNull(command);
        var o = options.Value;
        var offerId = command.OfferId;
        var offer = command.Offer ?? await offers.GetAsync(offerId, cancellationToken).ConfigureAwait(false);
        if (offer is null || offer.Offer.MerchantId != command.MerchantId || offer.Offer.SessionId != command.SessionId)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.NotFound, $"There is no offer '{offerId}' for this session.");
        }

        var callId = CallIds.ForOffer(offerId);

        // The accept continues the offer's trace (cart event → decision → delivery → call), linked to its own request's.
        using var span = Telemetry.Start(Telemetry.Spans.Accept, ActivityKind.Internal, offer.TraceParent).Ids(command.MerchantId, command.SessionId, offerId, callId);
        if (await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return await SameCallAsync(existing, starter, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        if (offer.Status == OfferStatus.Dismissed)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, "The offer was dismissed; it can no longer be accepted.");
        }

        if (offer.Status == OfferStatus.Expired || offer.Offer.ExpiresAt <= now)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, $"The offer expired at {offer.Offer.ExpiresAt:O}.");
        }

        var merchant = await merchants.GetAsync(command.MerchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.NotFound, $"There is no merchant '{command.MerchantId}'.");
        }

        var prefs = command.CookiePreferences;
        if (prefs is null && command.BodyPreferences is { } fromBody)
        {
            // The browser blocks the third-party cookie: the widget sends the preferences along, checked as a save checks them.
            var (checkedPrefs, problems) = preferences.ForCall(merchant.Id, fromBody, command.Origin);
            if (checkedPrefs is null)
            {
                return AcceptOfferOutcome.Refused(AcceptRefusal.Invalid, "preferences: " + string.Join(" ", problems));
            }

            prefs = checkedPrefs;
        }

        var selection = ModeSelector.Select(new ModeRequest(prefs, command.BrowserCanDoAudio, command.Mode));
        if (selection.MustAsk)
        {
            LogNeedsChoice(callId, merchant.Id, selection.Reason);
            return AcceptOfferOutcome.Accepted(new AcceptOfferResponse(callId, "needs_choice", null, null, selection.Reason, null), null);
        }

        var mode = selection.Mode!.Value;
        var reason = selection.Reason;
        PhoneCheck? number = null;
        DateTimeOffset? deferUntil = null;
        if (mode == CallMode.Phone)
        {
            if (prefs?.PhoneConsent is null || prefs.PhoneE164 is null)
            {
                return AcceptOfferOutcome.Refused(AcceptRefusal.Forbidden, "Phoning needs the shopper's consent and number on record.");
            }

            number = PhoneNumbers.Check(prefs.PhoneE164, null);
            deferUntil = QuietHoursPolicy.DeferUntil(prefs.Quiet, prefs.TimeZoneId, now);
        }

        // Toll fraud: what kind of number and where first (403), then how often (429).
        var address = command.ClientAddress;
        var settings = new TollFraudSettings(merchant.AllowedCountries, o.MaxCallsPerNumberPerHour, o.MaxCallsPerSessionPerHour, o.MaxCallsPerClientAddressPerHour);
        var refused = TollFraudGuard.Check(number, settings with { MaxCallsPerNumberPerHour = int.MaxValue, MaxCallsPerSessionPerHour = int.MaxValue, MaxCallsPerClientAddressPerHour = int.MaxValue }, new TollFraudCounters(0, 0, 0));
        if (refused.Count > 0)
        {
            LogRefused(callId, merchant.Id, string.Join(" ", refused));
            return AcceptOfferOutcome.Refused(AcceptRefusal.Forbidden, "This call cannot be placed: " + string.Join(" ", refused));
        }

        var seen = await counters.ReadAsync(merchant.Id, number?.E164, command.SessionId, address, now, cancellationToken).ConfigureAwait(false);
        var limited = TollFraudGuard.Check(number, settings, seen);
        if (limited.Count > 0)
        {
            LogRefused(callId, merchant.Id, string.Join(" ", limited));
            return RateLimited(string.Join(" ", limited), now);
        }

        var day = merchant.LocalDate(now);
        if (await counters.CallsTodayAsync(merchant.Id, day, cancellationToken).ConfigureAwait(false) >= merchant.DailyCallBudget)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, "The merchant has used today's call budget; no more calls can be placed today.");
        }

        if (deferUntil is null && await agents.CountAvailableAsync(merchant.Id, fresh: true, cancellationToken).ConfigureAwait(false) == 0)
        {
            return AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, "No agent is available to take the call right now.");
        }

        // A paid call goes ahead only once its hold is authorised (issue 13); placed before the limits are reserved, so an
        // accept that must wait for the payment uses none of them. A hold left by an accept that then fails is released
        // when the offer is over (UnusedHolds), by the call's settlement, or failing both by the daily sweep.
        if (merchant.ShopperPrice is { } price)
        {
            var hold = await billing.AuthorizeHoldAsync(callId, merchant.Id, price, now, merchant.TimeZone, command.PaymentMethod, cancellationToken).ConfigureAwait(false);
            if (hold.Placed)
            {
                // Released once the offer is over unless it became this call: a shopper who pays and leaves is not held.
                await unusedHolds.ScheduleAsync(callId, offerId, offer.Offer.ExpiresAt, cancellationToken).ConfigureAwait(false);
            }

            if (!hold.Ok || hold.Hold?.Status != Billing.HoldStatus.Held)
            {
                var detail = hold.Ok
                    ? "This call is paid: confirm the payment (the hold's client secret is in clientSecret), then accept again."
                    : "The payment was refused: " + string.Join(" ", hold.Problems);
                return AcceptOfferOutcome.Refused(AcceptRefusal.PaymentRequired, detail) with
                {
                    Payment = new PaymentDue(price, hold.ClientSecret, stripe.Value.PublishableKey, hold.DeclineCode,
                        Adapters.Stripe.StripePaymentElement.For(stripe.Value, hold.ClientSecret)),
                };
            }
        }

        // A browser call needs the shopper's ACS identity and a VoIP token for the widget.
        AcsUserAndToken? shopper = null;
        if (mode == CallMode.Browser)
        {
            shopper = await identity.CreateUserAndTokenAsync(["voip"], o.ShopperTokenLifetime, cancellationToken).ConfigureAwait(false);
        }

        var limits = new List<(string, int)>
        {
            (CallCounters.DayKey(day), merchant.DailyCallBudget),
            (CallCounters.SessionKey(command.SessionId, now), o.MaxCallsPerSessionPerHour),
        };
        if (number?.E164 is { } e164)
        {
            limits.Add((CallCounters.NumberKey(e164, now), o.MaxCallsPerNumberPerHour));
        }

        if (address is not null)
        {
            limits.Add((CallCounters.AddressKey(address, now), o.MaxCallsPerClientAddressPerHour));
        }

        var reservation = await counters.ReserveAsync(merchant.Id, limits, cancellationToken).ConfigureAwait(false);
        if (reservation is null)
        {
            return RateLimited("Another call took the last place within the limits meanwhile.", now);
        }

        if (deferUntil is { } at)
        {
            reason += $" Deferred by the shopper's quiet hours to {at.ToString("O", CultureInfo.InvariantCulture)}.";
        }

        // The offer is claimed before its call exists: a dismissal that got in first (and released the hold it found)
        // refuses this accept, and one that comes later finds the offer accepted and leaves the hold to the call.
        switch (await answers.ClaimForCallAsync(offer, callId, cancellationToken).ConfigureAwait(false))
        {
            case OfferAnswerResult.NoLongerOpen:
                await counters.ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
                // The dismissal may have looked for the hold before this accept stored it; nobody else would cancel it.
                await billing.ReleaseHoldAsync(callId, "dismissed", cancellationToken).ConfigureAwait(false);
                LogClaimRefused(callId, offerId);
                return AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, "The offer was dismissed or expired meanwhile; it can no longer be accepted.");
            case OfferAnswerResult.Contended:
                await counters.ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
                throw new ConcurrencyConflictException($"Offer {offerId} kept changing while it was being accepted; retry.");
        }

        var call = new CallRecord
        {
            CallId = callId,
            OfferId = offerId,
            MerchantId = merchant.Id,
            SessionId = command.SessionId,
            Mode = mode,
            Reason = reason,
            Status = deferUntil is null ? CallStatus.Queued : CallStatus.Scheduled,
            CreatedAt = now,
            ScheduledFor = deferUntil,
            ShopperPhone = mode == CallMode.Phone ? number!.E164 : null,
            ShopperAcsUserId = shopper?.User.Id,
            Language = prefs?.Language,
            QuietHours = prefs?.Quiet,
            TimeZone = prefs?.TimeZoneId,
            ClientAddress = address,
            Cart = await CartAsync(offer, cancellationToken).ConfigureAwait(false),
            TraceParent = Telemetry.CurrentTraceParent(),
        };

        var created = await calls.TryCreateAsync(call, cancellationToken).ConfigureAwait(false);
        if (created is null)
        {
            // A concurrent accept of the same offer won: give back what this one reserved and answer with its call.
            await counters.ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
            var winner = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
            return winner is null
                ? AcceptOfferOutcome.Refused(AcceptRefusal.Conflict, "The call is being created by another request; retry.")
                : await SameCallAsync(winner, starter, cancellationToken).ConfigureAwait(false);
        }

        await starter.StartAsync(created, cancellationToken).ConfigureAwait(false);
        await notifier.NotifyAsync(created, null, cancellationToken).ConfigureAwait(false);
        LogAccepted(callId, merchant.Id, offerId, mode, created.Status, reason);

        return AcceptOfferOutcome.Accepted(
            new AcceptOfferResponse(callId, Wire(created.Status), mode, deferUntil, reason,
                shopper is null ? null : new AcsTokenView(shopper.User.Id, shopper.Token, shopper.ExpiresOn),
                shopper is null ? null : calling.View),
            Location(callId));
    }

    /// <summary>
    /// A repeated accept: the same call, nothing dialled again. A call whose orchestration never started (the first
    /// accept died after recording it) is started now; the start is a no-op for one that runs.
    /// </summary>
    private async Task<AcceptOfferOutcome> SameCallAsync(CallRecord call, ICallStarter starter, CancellationToken cancellationToken)
    {
        if (call.Status is CallStatus.Queued or CallStatus.Scheduled)
        {
            await starter.StartAsync(call, cancellationToken).ConfigureAwait(false);
        }

        AcsTokenView? token = null;
        if (call.Mode == CallMode.Browser && call.ShopperAcsUserId is { } user && call.IsActive)
        {
            // Tokens are not stored; the same shopper identity gets a fresh one.
            var fresh = await identity.IssueTokenAsync(new CommunicationUserIdentifier(user), ["voip"], options.Value.ShopperTokenLifetime, cancellationToken).ConfigureAwait(false);
            token = new AcsTokenView(user, fresh.Token, fresh.ExpiresOn);
        }

        LogRepeated(call.CallId, call.Status);
        return AcceptOfferOutcome.Accepted(
            new AcceptOfferResponse(call.CallId, Wire(call.Status), call.Mode, call.ScheduledFor, call.Reason, token, token is null ? null : calling.View),
            Location(call.CallId));
    }

    private async Task<CallCart> CartAsync(OfferRecord offer, CancellationToken cancellationToken)
    {
        var o = offer.Offer;
        var session = await sessions.GetAsync(o.MerchantId, o.SessionId, cancellationToken).ConfigureAwait(false);
        var items = session?.Session.LatestCart?.Items.Select(i => new CallCartItem(i.Sku, i.Title, i.Quantity, i.UnitPrice)).ToList() ?? [];
        return new CallCart(items, o.CartValue, o.Currency, o.Score, o.State, o.Reasons);
    }

    /// <summary>Refused by a per-hour limit: the shopper may try again when the hour's window closes.</summary>
    private static AcceptOfferOutcome RateLimited(string detail, DateTimeOffset now) =>
        AcceptOfferOutcome.Refused(AcceptRefusal.RateLimited, detail, CallCounters.UntilNextHour(now));

    private static string Location(string callId) => $"/api/calls/{callId}";

    private static string Wire(CallStatus status) => status.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} accepted from offer {OfferId}: {Mode}, {Status}. {Reason}")]
    private partial void LogAccepted(string callId, string merchantId, string offerId, CallMode mode, CallStatus status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} needs the shopper's choice: {Reason}")]
    private partial void LogNeedsChoice(string callId, string merchantId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} for merchant {MerchantId} refused by the toll-fraud guard: {Problems}")]
    private partial void LogRefused(string callId, string merchantId, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} accepted again; answering with it as it is ({Status})")]
    private partial void LogRepeated(string callId, CallStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} not placed: offer {OfferId} was dismissed or expired while it was being accepted")]
    private partial void LogClaimRefused(string callId, string offerId);
}
