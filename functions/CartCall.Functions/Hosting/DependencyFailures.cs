using Azure;

namespace CartCall.Functions.Hosting;

/// <summary>
/// One definition of "a dependency failed; retry later" for every caller of Azure services. Azure.Core reports
/// exhausted retries on connection failures as an <see cref="AggregateException"/>, which is easy to miss.
/// A 401, 403 or 404 is not transient: it means CartCall is misconfigured (a key, a role, a missing table), and
/// retrying cannot mend it.
/// </summary>
public static class DependencyFailures
{
    public static bool IsTransient(Exception e, CancellationToken cancellationToken = default) => e switch
    {
        RequestFailedException r => IsTransientStatus(r.Status),
        HttpRequestException h => h.StatusCode is null || IsTransientStatus((int)h.StatusCode),
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        TimeoutException => true,
        // The payment provider's outage (Stripe 5xx, no answer): the same request may succeed later.
        Features.Billing.PaymentProviderUnavailableException => true,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => IsTransient(i, cancellationToken)),
        _ => false,
    };

    /// <summary>A dependency refused CartCall itself: a configuration error to log loudly, not a retry.</summary>
    public static bool IsConfiguration(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 401 or 403 or 404,
        HttpRequestException { StatusCode: { } s } => (int)s is 401 or 403 or 404,
        AggregateException a => a.InnerExceptions.Any(IsConfiguration),
        _ => false,
    };

    /// <summary>No answer (0), a timeout, throttling, or a server error: the same request may succeed later.</summary>
    public static bool IsTransientStatus(int status) => status is 0 or 408 or 429 or >= 500;
}
