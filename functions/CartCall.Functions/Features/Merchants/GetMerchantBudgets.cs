using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Merchants;

/// <summary>Where a merchant stands against its daily budgets, on its local day.</summary>
/// <param name="SpentToday">What today's ended calls were billed, in major units of the plan's currency.</param>
/// <param name="DailySpendBudget">Null: no spending limit.</param>
public sealed record MerchantBudgetsView(
    string MerchantId, DateOnly Day, string TimeZone,
    int OffersToday, int DailyOfferBudget,
    int CallsToday, int DailyCallBudget,
    decimal SpentToday, decimal? DailySpendBudget,
    bool Offering);

/// <summary>
/// <c>GET /api/merchants/{merchantId}/budgets</c> (admin): today's offers, calls and call spending against the
/// merchant's daily budgets: the numbers the offer decision reads, so a merchant can see why offers stopped.
/// </summary>
public sealed class GetMerchantBudgets(IMerchantStore merchants, TableOfferCounters counters, CallCounters calls, TableDailySpend spend, TimeProvider time)
{
    [Function(nameof(GetMerchantBudgets))]
    [AdminApi]
    [ApiTag("Merchants")]
    [Response(200, typeof(MerchantBudgetsView))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/budgets")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var day = merchant.LocalDate(time.GetUtcNow());
        var offers = counters.ReadAsync(merchant.Id, TableOfferCounters.MerchantDayKey(day), cancellationToken);
        var callsToday = calls.CallsTodayAsync(merchant.Id, day, cancellationToken);
        var spent = spend.ReadAsync(merchant.Id, day, cancellationToken);
        await Task.WhenAll(offers, callsToday, spent).ConfigureAwait(false);

        var offering = offers.Result < merchant.DailyOfferBudget && callsToday.Result < merchant.DailyCallBudget
            && (merchant.DailySpendBudget is not { } budget || spent.Result < budget);
        return TypedResults.Ok(new MerchantBudgetsView(merchant.Id, day, merchant.TimeZone, offers.Result, merchant.DailyOfferBudget,
            callsToday.Result, merchant.DailyCallBudget, spent.Result, merchant.DailySpendBudget, offering));
    }
}
