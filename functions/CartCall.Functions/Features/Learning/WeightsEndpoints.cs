using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Learning;

/// <summary>
/// <c>GET /api/merchants/{merchantId}/weights</c> (admin): the weights in use, the shadow waiting for its comparison,
/// every earlier version with where it came from and the comparison that decided it, and the last refit.
/// </summary>
public sealed class GetMerchantWeights(IMerchantStore merchants, WeightRefitService refits)
{
    [Function(nameof(GetMerchantWeights))]
    [AdminApi]
    [ApiTag("Weights")]
    [Response(200, typeof(WeightsView))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/weights")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return merchant is null
            ? Problems.NotFound($"There is no merchant '{merchantId}'.")
            : Results.Json(await refits.ViewAsync(merchant, cancellationToken).ConfigureAwait(false), ExperimentResults.Json);
    }
}

/// <summary>
/// <c>POST /api/merchants/{merchantId}/weights/refit</c> (admin): runs the merchant's refit now, as the daily timer
/// would, and answers with the weights afterwards.
/// </summary>
public sealed class RefitMerchantWeights(IMerchantStore merchants, WeightRefitService refits)
{
    [Function(nameof(RefitMerchantWeights))]
    [AdminApi]
    [ApiTag("Weights")]
    [Response(200, typeof(WeightsView))]
    [Problems(401, 404, 503)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/weights/refit")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        await refits.RefitAsync(merchant, cancellationToken).ConfigureAwait(false);
        return Results.Json(await refits.ViewAsync(merchant, cancellationToken).ConfigureAwait(false), ExperimentResults.Json);
    }
}

/// <summary>Timer-triggered, daily at 03:30 UTC: each merchant's refit (<see cref="WeightRefitService"/>).</summary>
public sealed partial class RefitWeights(IMerchantStore merchants, WeightRefitService refits, ILogger<RefitWeights> logger)
{
    [Function(nameof(RefitWeights))]
    public async Task RunAsync([TimerTrigger("0 30 3 * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await foreach (var id in merchants.ListIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await merchants.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } merchant)
                {
                    await refits.RefitAsync(merchant, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One merchant's failure must not cost the others their refit; it runs again tomorrow.
                LogFailed(e, id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The refit of merchant {MerchantId} failed")]
    private partial void LogFailed(Exception e, string merchantId);
}

public static class LearningFeature
{
    public static IServiceCollection AddLearning(this IServiceCollection services)
    {
        services.AddSingleton<TableWeightStore>();
        services.AddSingleton<WeightRefitService>();
        return services;
    }
}
