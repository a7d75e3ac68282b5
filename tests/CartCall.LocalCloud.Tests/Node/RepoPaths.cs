using System.Diagnostics;

namespace CartCall.LocalCloud.Tests.Node;

/// <summary>Finds the repository and makes sure <c>infra/node_modules</c> holds the npm packages a test needs.</summary>
public static class RepoPaths
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The folder holding <c>Functions.sln</c>, found by walking up from the test assembly.</summary>
    public static string RepoRoot => Root.Value;

    public static string InfraDir => Path.Combine(RepoRoot, "infra");

    public static string NodeModules => Path.Combine(InfraDir, "node_modules");

    /// <summary>Source folder of this test project (scripts are run from here, not copied to bin).</summary>
    public static string LocalCloudTestsDir => Path.Combine(RepoRoot, "tests", "CartCall.LocalCloud.Tests");

    /// <summary>
    /// Runs <c>npm install</c> in <c>infra/</c> once if any of <paramref name="packages"/> (e.g. "@azure/eventgrid")
    /// is missing, so a clean clone works. Serialised within the process and, by a lock file, across processes.
    /// </summary>
    public static async Task EnsureNpmPackagesAsync(IEnumerable<string> packages, CancellationToken ct)
    {
        var wanted = packages.ToList();
        if (AllInstalled(wanted))
        {
            return;
        }

        await InstallGate.WaitAsync(ct);
        try
        {
            if (AllInstalled(wanted))
            {
                return;
            }

            await using var fileLock = await AcquireFileLockAsync(Path.Combine(InfraDir, ".npm-install.lock"), ct);
            if (AllInstalled(wanted))
            {
                return;
            }

            var result = await RunNpmInstallAsync(ct);
            if (!AllInstalled(wanted))
            {
                throw new InvalidOperationException(
                    $"npm install in {InfraDir} exited {result.ExitCode} and left [{string.Join(", ", wanted.Where(p => !IsInstalled(p)))}] missing; " +
                    $"add them to infra/package.json. stderr: {result.StandardError}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public static bool IsInstalled(string package) =>
        File.Exists(Path.Combine(NodeModules, package.Replace('/', Path.DirectorySeparatorChar), "package.json"));

    private static bool AllInstalled(IEnumerable<string> packages) => packages.All(IsInstalled);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Functions.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(6);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    private static async Task<NodeScriptResult> RunNpmInstallAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = InfraDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["install", "--no-audit", "--no-fund"])
        {
            start.ArgumentList.Add(arg);
        }

        return await ProcessRunner.RunAsync(start, TimeSpan.FromMinutes(5), ct);
    }
}
