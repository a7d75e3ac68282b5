using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Experiments;

/// <summary>
/// <c>GET /api/merchants/{merchantId}/results?from&amp;to&amp;bucket=day</c> (admin): the merchant's measured results,
/// treatment against control, for a range of its local days (default the last 30), with one report per day or week.
/// </summary>
public sealed class GetMerchantResults(IMerchantStore merchants, ExperimentResults results)
{
    [Function(nameof(GetMerchantResults))]
    [AdminApi]
    [ApiTag("Results")]
    [Response(200, typeof(ResultsDocument))]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/results")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var (document, problem) = await ResultsRequest.ComputeAsync(request, merchantId, merchants, results, cancellationToken).ConfigureAwait(false);
        return problem ?? Results.Json(document, ExperimentResults.Json);
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/results.csv</c> (admin): the same results as CSV, one row per bucket and a total.</summary>
public sealed class GetMerchantResultsCsv(IMerchantStore merchants, ExperimentResults results)
{
    [Function(nameof(GetMerchantResultsCsv))]
    [AdminApi]
    [ApiTag("Results")]
    [Response(200, null, "text/csv")]
    [Problems(400, 401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/results.csv")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (document, problem) = await ResultsRequest.ComputeAsync(request, merchantId, merchants, results, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        request.HttpContext.Response.Headers.ContentDisposition = $"attachment; filename=\"cartcall-results-{merchantId}-{document!.From:yyyy-MM-dd}-{document.To:yyyy-MM-dd}.csv\"";
        return Results.Text(ExperimentResults.Csv(document), "text/csv; charset=utf-8");
    }
}

/// <summary>
/// <c>GET /api/merchants/{merchantId}/results/page</c>: the merchant's results page. The page holds no data: it asks for
/// the admin key, keeps it in the tab's sessionStorage (never in the URL), and draws the results it fetches with it.
/// </summary>
public sealed class ServeResultsPage
{
    [Function(nameof(ServeResultsPage))]
    [ApiTag("Results")]
    [Response(200, null, "text/html")]
    [Problems(400)]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/results/page")] HttpRequest request,
        string merchantId)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MerchantValidator.IdPattern().IsMatch(merchantId))
        {
            return Problems.BadRequest("The merchant id is not a valid id.");
        }

        var headers = request.HttpContext.Response.Headers;
        // The page talks only to this app; nothing else may run, load or frame it.
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        headers.CacheControl = "no-store";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(ResultsPage.Html, "text/html; charset=utf-8");
    }
}

internal static class ResultsRequest
{
    public static async Task<(ResultsDocument? Document, IResult? Problem)> ComputeAsync(
        HttpRequest request, string merchantId, IMerchantStore merchants, ExperimentResults results, CancellationToken cancellationToken)
    {
        var merchant = await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false);
        if (merchant is null)
        {
            return (null, Problems.NotFound($"There is no merchant '{merchantId}'."));
        }

        var (query, problems) = ResultsQuery.Read(request, results.Today(merchant));
        if (query is null)
        {
            return (null, Problems.BadRequest("The results query is not valid.", problems));
        }

        return (await results.ComputeAsync(merchant, query, cancellationToken).ConfigureAwait(false), null);
    }
}
