using CartCall.Functions.Features.OpenApi;
using System.Diagnostics;
using Azure;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Features.Health;

/// <summary><c>GET /api/health</c>: whether the app can reach its tables and queues. 200 when it can, else 503.</summary>
public sealed class GetHealth(StorageClients storage)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    [Function(nameof(GetHealth))]
    [ApiTag("Operations")]
    [Response(200, typeof(HealthReport))]
    [Response(503, typeof(HealthReport))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        var tables = ProbeAsync(() => storage.Table(StorageNames.MerchantsTable).GetAccessPoliciesAsync(cts.Token));
        var queues = ProbeAsync(() => storage.Queue(StorageNames.ReevaluateQueue).GetPropertiesAsync(cts.Token));
        var checks = new Dictionary<string, HealthCheck> { ["tables"] = await tables.ConfigureAwait(false), ["queues"] = await queues.ConfigureAwait(false) };
        var healthy = checks.Values.All(c => c.Healthy);
        var report = new HealthReport(healthy ? "healthy" : "unhealthy", checks);
        return TypedResults.Json(report, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<HealthCheck> ProbeAsync(Func<Task> probe)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await probe().ConfigureAwait(false);
            return new HealthCheck(true, watch.Elapsed.TotalMilliseconds, null);
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException)
        {
            return new HealthCheck(false, watch.Elapsed.TotalMilliseconds, e.Message.Split('\n')[0]);
        }
    }
}

public sealed record HealthReport(string Status, IReadOnlyDictionary<string, HealthCheck> Checks);

public sealed record HealthCheck(bool Healthy, double Milliseconds, string? Error);
