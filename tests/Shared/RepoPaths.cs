using System.Diagnostics;

namespace CartCall.Testing;

/// <summary>Finds the repository and makes sure the npm packages the tests drive are installed.</summary>
public static class RepoPaths
{
    private static readonly SemaphoreSlim NpmGate = new(1, 1);

    public static string Root { get; } = FindRoot();

    public static string Infra => Path.Combine(Root, "infra");

    /// <summary>The Functions app's own build output (functions.metadata, .azurefunctions), in this test's configuration.</summary>
    public static string FunctionsAppOutput => Path.Combine(Root, "functions", "CartCall.Functions", "bin",
#if DEBUG
        "Debug",
#else
        "Release",
#endif
        "net10.0");

    public static string NodeModules => Path.Combine(Infra, "node_modules");

    public static string NodeBin(string tool) => Path.Combine(NodeModules, ".bin", tool);

    /// <summary>Installs the npm packages once if any is missing.</summary>
    public static async Task EnsureNpmPackagesAsync(IEnumerable<string> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        foreach (var package in packages)
        {
            await EnsureNpmPackageAsync(package).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <c>npm install</c> in infra/ once when <paramref name="package"/> is missing, so a clean clone works.</summary>
    public static async Task EnsureNpmPackageAsync(string package)
    {
        if (Directory.Exists(Path.Combine(NodeModules, package)))
        {
            return;
        }

        await NpmGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Directory.Exists(Path.Combine(NodeModules, package)))
            {
                return;
            }

            var psi = new ProcessStartInfo("npm", "install --no-audit --no-fund --loglevel=error")
            {
                WorkingDirectory = Infra,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var npm = Process.Start(psi)!;
            var stderr = npm.StandardError.ReadToEndAsync();
            _ = await npm.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await npm.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install in {Infra} failed: {await stderr.ConfigureAwait(false)}");
            }
        }
        finally
        {
            NpmGate.Release();
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
