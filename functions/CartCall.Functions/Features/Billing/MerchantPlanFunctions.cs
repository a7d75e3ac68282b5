using CartCall.Domain.Billing;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Billing;

/// <summary>A plan assignment as the admin API takes it: the plan, and the merchant's time zone its days are counted in.</summary>
public sealed record PlanAssignmentRequest(MerchantPlan? Plan, string? TimeZone);

/// <summary>The plan a merchant is on, and the one it moves to (from <c>effectiveFrom</c>, a local date) if a change is pending.</summary>
public sealed record MerchantPlanView(string MerchantId, string TimeZone, MerchantPlan Current, MerchantPlan? Next, DateOnly? NextFrom);

/// <summary>
/// <c>PUT /api/merchants/{merchantId}/plan</c> (admin): puts the merchant on a plan, at once when it has none,
/// otherwise from the next day in its time zone. Unknown currencies, negative or absurd prices and plans without
/// rates are a 400 listing every problem, and nothing is stored.
/// </summary>
public sealed class PutMerchantPlan(IMerchantStore merchants, IPlanStore plans, TimeProvider time)
{
    [Function(nameof(PutMerchantPlan))]
    [AdminApi]
    [ApiTag("Billing")]
    [RequestBody(typeof(PlanAssignmentRequest))]
    [Response(200, typeof(MerchantPlanView))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/plan")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (body, _, problem) = await JsonBody.ReadAsync<PlanAssignmentRequest>(request, 64 * 1024, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Plan is null || string.IsNullOrWhiteSpace(body.TimeZone))
        {
            return Problems.BadRequest("The plan is not valid.", [.. body.Plan is null ? ["plan is required."] : Array.Empty<string>(),
                .. string.IsNullOrWhiteSpace(body.TimeZone) ? ["timeZone is required (an IANA time zone)."] : Array.Empty<string>()]);
        }

        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var (_, problems) = await plans.SetAsync(merchantId, body.Plan, body.TimeZone, time.GetUtcNow(), cancellationToken)
            .ConfigureAwait(false);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The plan is not valid.", problems);
        }

        return TypedResults.Ok(await GetMerchantPlan.ViewAsync(plans, merchantId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false));
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/plan</c> (admin): the merchant's plan today and any pending change.</summary>
public sealed class GetMerchantPlan(IPlanStore plans, TimeProvider time)
{
    [Function(nameof(GetMerchantPlan))]
    [AdminApi]
    [ApiTag("Billing")]
    [Response(200, typeof(MerchantPlanView))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/plan")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken) =>
        await ViewAsync(plans, merchantId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFound($"Merchant '{merchantId}' has no plan.");

    internal static async Task<MerchantPlanView?> ViewAsync(IPlanStore plans, string merchantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var schedule = await plans.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (schedule is null)
        {
            return null;
        }

        var today = PlanSchedule.LocalDate(now, schedule.TimeZoneId);
        var next = schedule.Assignments.FirstOrDefault(a => a.EffectiveFrom > today);
        return new MerchantPlanView(merchantId, schedule.TimeZoneId, schedule.PlanOn(today), next?.Plan, next?.EffectiveFrom);
    }
}
