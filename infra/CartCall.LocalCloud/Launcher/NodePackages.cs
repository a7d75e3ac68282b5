using System.Diagnostics;

namespace CartCall.LocalCloud.Launcher;

/// <summary>Installs infra/'s npm packages when one the launcher needs is missing, so a fresh clone works.</summary>
public static class NodePackages
{
    public static async Task EnsureAsync(RepositoryLayout layout, string package, Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(report);
        if (Directory.Exists(Path.Combine(layout.NodeModules, package)))
        {
            return;
        }

        // npm ci installs exactly the locked versions; without a lock file fall back to install.
        var locked = File.Exists(Path.Combine(layout.Infra, "package-lock.json"));
        var command = locked ? "ci" : "install";
        report($"{package} is not installed: running npm {command} in {layout.Infra}");
        var psi = new ProcessStartInfo("npm")
        {
            WorkingDirectory = layout.Infra,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { command, "--no-audit", "--no-fund", "--loglevel=error" })
        {
            psi.ArgumentList.Add(a);
        }

        Process npm;
        try
        {
            npm = Process.Start(psi) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("npm was not found on PATH; install Node.js 20 or later (apt-get install nodejs npm).", e);
        }

        using (npm)
        {
            var stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
            var stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMinutes(10));
            try
            {
                await npm.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                npm.Kill(entireProcessTree: true);
                throw;
            }

            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm {command} in {layout.Infra} failed ({npm.ExitCode}): {stderr.Result.Trim()}");
            }
        }

        if (!Directory.Exists(Path.Combine(layout.NodeModules, package)))
        {
            throw new InvalidOperationException($"npm {command} finished but {package} is still missing; is it in infra/package.json?");
        }
    }
}
