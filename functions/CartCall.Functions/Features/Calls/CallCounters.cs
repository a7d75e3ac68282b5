using System.Globalization;
using CartCall.Functions.Features.Offers;
using CartCall.Domain.Calls;

namespace CartCall.Functions.Features.Calls;

/// <summary>A call's claims on the per-hour toll-fraud limits and the merchant's daily call budget.</summary>
public sealed record CallReservation(IReadOnlyList<string> Keys);

/// <summary>
/// Per-hour call counts per number, session and client address, and the merchant's calls per day, in the
/// <c>counters</c> table (merchant partition). Reading feeds the domain's guard; reserving is an ETag-guarded
/// increment against the same limit, so two accepts racing cannot both take the last slot.
/// </summary>
public sealed class CallCounters(TableOfferCounters counters)
{
    public static string NumberKey(string e164, DateTimeOffset now) => $"calls|number|{e164}|{Hour(now)}";

    public static string SessionKey(string sessionId, DateTimeOffset now) => $"calls|session|{sessionId}|{Hour(now)}";

    public static string AddressKey(string address, DateTimeOffset now) => $"calls|address|{address}|{Hour(now)}";

    public static string DayKey(DateOnly day) => $"calls|day|{day:yyyy-MM-dd}";

    /// <summary>Until the current hour's window closes: a refused shopper's Retry-After.</summary>
    public static TimeSpan UntilNextHour(DateTimeOffset now) =>
        new DateTimeOffset(now.UtcDateTime.Date.AddHours(now.UtcDateTime.Hour + 1), TimeSpan.Zero) - now;

    public async Task<TollFraudCounters> ReadAsync(string merchantId, string? e164, string sessionId, string? address, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var number = e164 is null ? Task.FromResult(0) : counters.ReadAsync(merchantId, NumberKey(e164, now), cancellationToken);
        var session = counters.ReadAsync(merchantId, SessionKey(sessionId, now), cancellationToken);
        var from = address is null ? Task.FromResult(0) : counters.ReadAsync(merchantId, AddressKey(address, now), cancellationToken);
        await Task.WhenAll(number, session, from).ConfigureAwait(false);
        return new TollFraudCounters(number.Result, session.Result, from.Result);
    }

    public Task<int> CallsTodayAsync(string merchantId, DateOnly day, CancellationToken cancellationToken) =>
        counters.ReadAsync(merchantId, DayKey(day), cancellationToken);

    /// <summary>Takes one of each limit or none: null when a limit was reached meanwhile.</summary>
    public async Task<CallReservation?> ReserveAsync(string merchantId, IReadOnlyList<(string Key, int Limit)> limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var taken = new List<string>();
        foreach (var (key, limit) in limits)
        {
            bool took;
            try
            {
                took = await counters.TryIncrementAsync(merchantId, key, limit, cancellationToken).ConfigureAwait(false);
            }
            catch (Storage.ConcurrencyConflictException)
            {
                // A counter stayed contended: give back what was taken before the conflict goes up (503).
                await ReleaseAsync(merchantId, new CallReservation(taken), cancellationToken).ConfigureAwait(false);
                throw;
            }

            if (!took)
            {
                await ReleaseAsync(merchantId, new CallReservation(taken), cancellationToken).ConfigureAwait(false);
                return null;
            }

            taken.Add(key);
        }

        return new CallReservation(taken);
    }

    public async Task ReleaseAsync(string merchantId, CallReservation reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        foreach (var key in reservation.Keys)
        {
            await counters.DecrementAsync(merchantId, key, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Hour(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-ddTHH", CultureInfo.InvariantCulture);
}
