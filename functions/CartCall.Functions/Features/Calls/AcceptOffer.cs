using CartCall.Functions.Features.OpenApi;
using System.Globalization;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>The accept body (contract: AcceptOffer).</summary>
public sealed class AcceptOfferRequest
{
    public string? MerchantId { get; set; }

    public string? SessionId { get; set; }

    /// <summary>What the shopper picked in the offer; null lets preferences decide.</summary>
    public CallMode? Mode { get; set; }

    public bool BrowserCanDoAudio { get; set; }

    /// <summary>Preferences sent along while the signed preference cookie is not in place.</summary>
    public AcceptPreferences? Preferences { get; set; }
}

/// <summary>
/// <c>POST /api/offers/{offerId}/accept</c> (publishable key, merchant CORS, preference cookie): the shopper said yes. Runs mode selection and the guards (consent, quiet
/// hours, toll fraud, today's call budget, an agent available — all read fresh), records the call under an id derived
/// from the offer (a second accept finds it and dials nothing), queues PlaceCall and answers 202 at once.
/// </summary>
public sealed partial class AcceptOffer(TableOfferStore offers, IMerchantStore merchants, ISessionStore sessions, TableAgentStore agents,
    TableCallStore calls, CallCounters counters, CallQueue queue, CallStatusNotifier notifier, AcsIdentityClient identity,
    IShopperPreferencesSource preferences, IOptions<CallsOptions> options, TimeProvider time, ILoggerFactory loggers)
{
    [Function(nameof(AcceptOffer))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Calls")]
    [RequestBody(typeof(AcceptOfferRequest))]
    [Response(202, typeof(AcceptOfferResponse))]
    [Problems(400, 401, 403, 404, 409, 415, 429)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", "options", Route = "offers/{offerId}/accept")] HttpRequest request,
        string offerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var context = request.HttpContext;
        ArgumentNullException.ThrowIfNull(offers);
        ArgumentNullException.ThrowIfNull(merchants);
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(preferences);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger(typeof(AcceptOffer));
        var o = options.Value;

        var (body, _, problem) = await JsonBody.ReadAsync<AcceptOfferRequest>(context.Request, 16 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrEmpty(body!.MerchantId) || string.IsNullOrEmpty(body.SessionId))
        {
            return Problems.BadRequest("merchantId and sessionId are required.");
        }

        // The CORS filter has loaded the offer to find its merchant; read it again only when called without it.
        var offer = WidgetRequest.From(context)?.Offer ?? await offers.GetAsync(offerId, cancellationToken).ConfigureAwait(false);
        if (offer is null || offer.Offer.MerchantId != body.MerchantId || offer.Offer.SessionId != body.SessionId)
        {
            return Problems.NotFound($"There is no offer '{offerId}' for this session.");
        }

        var callId = CallIds.ForOffer(offerId);
        if (await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return await SameCallAsync(existing, queue, identity, o, time.GetUtcNow(), logger, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        if (offer.Status == OfferStatus.Dismissed)
        {
            return Problems.Conflict("The offer was dismissed; it can no longer be accepted.");
        }

        if (offer.Status == OfferStatus.Expired || offer.Offer.ExpiresAt <= now)
        {
            return Problems.Conflict($"The offer expired at {offer.Offer.ExpiresAt:O}.");
        }

        var merchant = await merchants.GetAsync(body.MerchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return Problems.NotFound($"There is no merchant '{body.MerchantId}'.");
        }

        var read = await preferences.ReadAsync(context, merchant.Id, body.Preferences, cancellationToken).ConfigureAwait(false);
        if (read.Problem is not null)
        {
            return Problems.BadRequest(read.Problem);
        }

        var prefs = read.Preferences;
        var selection = ModeSelector.Select(new ModeRequest(prefs, body.BrowserCanDoAudio, body.Mode));
        if (selection.MustAsk)
        {
            LogNeedsChoice(logger, callId, merchant.Id, selection.Reason);
            return TypedResults.Accepted((string?)null, new AcceptOfferResponse(callId, "needs_choice", null, null, selection.Reason, null));
        }

        var mode = selection.Mode!.Value;
        var reason = selection.Reason;
        PhoneCheck? number = null;
        DateTimeOffset? deferUntil = null;
        if (mode == CallMode.Phone)
        {
            if (prefs?.PhoneConsent is null || prefs.PhoneE164 is null)
            {
                return Problems.Forbidden("Phoning needs the shopper's consent and number on record.");
            }

            number = PhoneNumbers.Check(prefs.PhoneE164, null);
            deferUntil = QuietHoursPolicy.DeferUntil(prefs.Quiet, prefs.TimeZoneId, now);
        }

        // Toll fraud: what kind of number and where first (403), then how often (429).
        var address = ClientAddress.Of(context);
        var settings = new TollFraudSettings(merchant.AllowedCountries, o.MaxCallsPerNumberPerHour, o.MaxCallsPerSessionPerHour, o.MaxCallsPerClientAddressPerHour);
        var refused = TollFraudGuard.Check(number, settings with { MaxCallsPerNumberPerHour = int.MaxValue, MaxCallsPerSessionPerHour = int.MaxValue, MaxCallsPerClientAddressPerHour = int.MaxValue }, new TollFraudCounters(0, 0, 0));
        if (refused.Count > 0)
        {
            LogRefused(logger, callId, merchant.Id, string.Join(" ", refused));
            return Problems.Forbidden("This call cannot be placed: " + string.Join(" ", refused));
        }

        var seen = await counters.ReadAsync(merchant.Id, number?.E164, body.SessionId, address, now, cancellationToken).ConfigureAwait(false);
        var limited = TollFraudGuard.Check(number, settings, seen);
        if (limited.Count > 0)
        {
            LogRefused(logger, callId, merchant.Id, string.Join(" ", limited));
            return RateLimited(string.Join(" ", limited), now, context);
        }

        var day = merchant.LocalDate(now);
        if (await counters.CallsTodayAsync(merchant.Id, day, cancellationToken).ConfigureAwait(false) >= merchant.DailyCallBudget)
        {
            return Problems.Conflict("The merchant has used today's call budget; no more calls can be placed today.");
        }

        if (deferUntil is null && await agents.CountAvailableAsync(merchant.Id, fresh: true, cancellationToken).ConfigureAwait(false) == 0)
        {
            return Problems.Conflict("No agent is available to take the call right now.");
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
            (CallCounters.SessionKey(body.SessionId, now), o.MaxCallsPerSessionPerHour),
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
            return RateLimited("Another call took the last place within the limits meanwhile.", now, context);
        }

        if (deferUntil is { } at)
        {
            reason += $" Deferred by the shopper's quiet hours to {at.ToString("O", CultureInfo.InvariantCulture)}.";
        }

        var call = new CallRecord
        {
            CallId = callId,
            OfferId = offerId,
            MerchantId = merchant.Id,
            SessionId = body.SessionId,
            Mode = mode,
            Reason = reason,
            Status = deferUntil is null ? CallStatus.Queued : CallStatus.Scheduled,
            CreatedAt = now,
            ScheduledFor = deferUntil,
            ShopperPhone = mode == CallMode.Phone ? number!.E164 : null,
            ShopperAcsUserId = shopper?.User.Id,
            QuietHours = prefs?.Quiet,
            TimeZone = prefs?.TimeZoneId,
            ClientAddress = address,
            Cart = await CartAsync(offer, sessions, cancellationToken).ConfigureAwait(false),
        };

        var created = await calls.TryCreateAsync(call, cancellationToken).ConfigureAwait(false);
        if (created is null)
        {
            // A concurrent accept of the same offer won: give back what this one reserved and answer with its call.
            await counters.ReleaseAsync(merchant.Id, reservation, cancellationToken).ConfigureAwait(false);
            var winner = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
            return winner is null
                ? Problems.Conflict("The call is being created by another request; retry.")
                : await SameCallAsync(winner, queue, identity, o, now, logger, cancellationToken).ConfigureAwait(false);
        }

        await queue.EnqueueAsync(callId, deferUntil is { } due ? due - now : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        await MarkAcceptedAsync(offers, offer, callId, now, cancellationToken).ConfigureAwait(false);
        await notifier.NotifyAsync(created, null, cancellationToken).ConfigureAwait(false);
        LogAccepted(logger, callId, merchant.Id, offerId, mode, created.Status, reason);

        return TypedResults.Accepted(
            $"/api/calls/{callId}",
            new AcceptOfferResponse(callId, Wire(created.Status), mode, deferUntil, reason,
                shopper is null ? null : new AcsTokenView(shopper.User.Id, shopper.Token, shopper.ExpiresOn)));
    }

    /// <summary>A repeated accept: the same call, nothing dialled again. A call not yet claimed is queued again in case the first enqueue was lost.</summary>
    private static async Task<IResult> SameCallAsync(CallRecord call, CallQueue queue, AcsIdentityClient identity, CallsOptions o, DateTimeOffset now, ILogger logger, CancellationToken cancellationToken)
    {
        if (call.DialClaimedAt is null && call.Status is CallStatus.Queued or CallStatus.Scheduled)
        {
            var wait = call.ScheduledFor is { } due ? due - now : TimeSpan.Zero;
            await queue.EnqueueAsync(call.CallId, wait, cancellationToken).ConfigureAwait(false);
        }

        AcsTokenView? token = null;
        if (call.Mode == CallMode.Browser && call.ShopperAcsUserId is { } user && call.IsActive)
        {
            // Tokens are not stored; the same shopper identity gets a fresh one.
            var fresh = await identity.IssueTokenAsync(new CommunicationUserIdentifier(user), ["voip"], o.ShopperTokenLifetime, cancellationToken).ConfigureAwait(false);
            token = new AcsTokenView(user, fresh.Token, fresh.ExpiresOn);
        }

        LogRepeated(logger, call.CallId, call.Status);
        return TypedResults.Accepted($"/api/calls/{call.CallId}", new AcceptOfferResponse(call.CallId, Wire(call.Status), call.Mode, call.ScheduledFor, call.Reason, token));
    }

    private static async Task MarkAcceptedAsync(TableOfferStore offers, OfferRecord offer, string callId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 4 && offer is not null; attempt++)
        {
            offer.Status = OfferStatus.Accepted;
            offer.AnsweredAt ??= now;
            offer.CallId = callId;
            if (await offers.TryUpdateAsync(offer, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            offer = (await offers.GetAsync(offer.Offer.OfferId, cancellationToken).ConfigureAwait(false))!;
        }
    }

    private static async Task<CallCart> CartAsync(OfferRecord offer, ISessionStore sessions, CancellationToken cancellationToken)
    {
        var o = offer.Offer;
        var session = await sessions.GetAsync(o.MerchantId, o.SessionId, cancellationToken).ConfigureAwait(false);
        var items = session?.Session.LatestCart?.Items.Select(i => new CallCartItem(i.Sku, i.Title, i.Quantity, i.UnitPrice)).ToList() ?? [];
        return new CallCart(items, o.CartValue, o.Currency, o.Score, o.State, o.Reasons);
    }

    private static IResult RateLimited(string detail, DateTimeOffset now, HttpContext context)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(CallCounters.UntilNextHour(now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problems.TooManyRequests(detail);
    }

    private static string Wire(CallStatus status) => status.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} accepted from offer {OfferId}: {Mode}, {Status}. {Reason}")]
    private static partial void LogAccepted(ILogger logger, string callId, string merchantId, string offerId, CallMode mode, CallStatus status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} for merchant {MerchantId} needs the shopper's choice: {Reason}")]
    private static partial void LogNeedsChoice(ILogger logger, string callId, string merchantId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId} for merchant {MerchantId} refused by the toll-fraud guard: {Problems}")]
    private static partial void LogRefused(ILogger logger, string callId, string merchantId, string problems);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId} accepted again; answering with it as it is ({Status})")]
    private static partial void LogRepeated(ILogger logger, string callId, CallStatus status);
}
