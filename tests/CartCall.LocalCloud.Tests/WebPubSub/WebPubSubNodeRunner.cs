using System.Diagnostics;
using System.Text.Json;

namespace CartCall.LocalCloud.Tests.WebPubSub;

/// <summary>What a node script printed: its exit code, its last stdout line as JSON, and stderr for failure messages.</summary>
internal sealed record NodeRun(int ExitCode, string StdOut, string StdErr)
{
    public JsonElement Json
    {
        get
        {
            var last = StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                ?? throw new InvalidOperationException($"The script printed nothing. stderr: {StdErr}");
            using var document = JsonDocument.Parse(last);
            return document.RootElement.Clone();
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout: {StdOut}\nstderr: {StdErr}";
}

/// <summary>
/// Runs the Web PubSub node scripts with Microsoft's SDKs from <c>infra/node_modules</c>, installing them once if a
/// clean clone lacks them. Private to this folder until the shared runner lands.
/// </summary>
internal static class WebPubSubNodeRunner
{
    private static readonly string[] RequiredPackages = ["@azure/web-pubsub", "@azure/web-pubsub-client"];
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InfraDir => Path.Combine(RepoRoot, "infra");

    public static string Script(string name) =>
        Path.Combine(RepoRoot, "tests", "CartCall.LocalCloud.Tests", "WebPubSub", "node", name);

    public static async Task<NodeRun> RunAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        await EnsurePackagesAsync();
        var start = new ProcessStartInfo("node", [Script(script)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = InfraDir,
        };
        start.Environment["CARTCALL_INFRA_DIR"] = InfraDir;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return await RunProcessAsync(start, timeout);
    }

    private static async Task EnsurePackagesAsync()
    {
        if (PackagesPresent())
        {
            return;
        }

        await InstallGate.WaitAsync();
        try
        {
            // Another test process (the app tests) may install at the same moment: a lock file serialises them.
            using var fileLock = await AcquireFileLockAsync(Path.Combine(InfraDir, ".npm-install.lock"));
            if (PackagesPresent())
            {
                return;
            }

            var npm = new ProcessStartInfo("npm", ["install", "--no-audit", "--no-fund"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = InfraDir,
            };
            var run = await RunProcessAsync(npm, TimeSpan.FromMinutes(5));
            if (run.ExitCode != 0 || !PackagesPresent())
            {
                throw new InvalidOperationException($"npm install in {InfraDir} failed: {run}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static bool PackagesPresent() =>
        RequiredPackages.All(p => File.Exists(Path.Combine(InfraDir, "node_modules", p, "package.json")));

    private static async Task<FileStream> AcquireFileLockAsync(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<NodeRun> RunProcessAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new NodeRun(-1, await stdout, await stderr + $"\n(killed after {timeout})");
        }

        return new NodeRun(process.ExitCode, await stdout, await stderr);
    }

    private static string FindRepoRoot()
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
}
