using Azure;

namespace CartCall.Functions.Hosting;

/// <summary>
/// One definition of "a dependency failed; retry later" for every caller of Azure services. Azure.Core reports
/// exhausted retries on connection failures as an <see cref="AggregateException"/>, which is easy to miss.
/// </summary>
public static class DependencyFailures
{
    public static bool IsTransient(Exception e, CancellationToken cancellationToken = default) => e switch
    {
        RequestFailedException or HttpRequestException => true,
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => IsTransient(i, cancellationToken)),
        _ => false,
    };
}
