using System.Diagnostics;
using System.Net;

namespace CartCall.LocalCloud.Launcher;

/// <summary>
/// Building the CartCall Functions app for the local Functions host, and waiting for it to be healthy.
/// </summary>
public static class AppProcess
{
    public const string HealthPath = "/api/health";

    /// <summary>Returns the built app, building it with <c>dotnet build</c> first when it is missing.</summary>
    public static async Task<string> EnsureBuiltAsync(RepositoryLayout layout, string configuration, Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(report);
        var dll = layout.AppDll(configuration);
        if (File.Exists(dll))
        {
            return dll;
        }

        report($"The app is not built for {configuration}: running dotnet build {layout.AppProject}");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = layout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "build", layout.AppProject, "-c", configuration, "-nologo", "-clp:ErrorsOnly" })
        {
            psi.ArgumentList.Add(a);
        }

        using var build = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start.");
        var stdout = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = build.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        try
        {
            await build.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            build.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (build.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"dotnet build of the app failed ({build.ExitCode}):\n{stdout.Result}{stderr.Result}".TrimEnd());
        }

        return dll;
    }

    /// <summary>
    /// Polls <c>/api/health</c> until it answers 200 and returns the time since <paramref name="startedTimestamp"/>;
    /// fails when it is not healthy within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<TimeSpan> WaitHealthyAsync(Uri baseAddress, long startedTimestamp, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
        var url = new Uri(baseAddress, HealthPath);
        string last = "no answer yet";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return Stopwatch.GetElapsedTime(startedTimestamp);
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "timed out";
            }

            if (Stopwatch.GetElapsedTime(startedTimestamp) > timeout)
            {
                throw new InvalidOperationException($"The app was not healthy at {url} within {timeout.TotalSeconds:0} s; last answer: {last}");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}
