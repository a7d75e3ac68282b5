using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>Runs a node script against infra/node_modules (private to the ACS tests until a shared runner lands).</summary>
internal static class AcsNodeRunner
{
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string InfraDir => Path.Combine(RepoRoot, "infra");

    public static string ScriptPath(string name) => Path.Combine(RepoRoot, "tests", "CartCall.LocalCloud.Tests", "Acs", name);

    public sealed record NodeResult(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The script's last stdout line, parsed as JSON.</summary>
        public JsonElement Json()
        {
            var last = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                       ?? throw new InvalidOperationException("The script printed nothing. stderr: " + Stderr);
            using var doc = JsonDocument.Parse(last);
            return doc.RootElement.Clone();
        }
    }

    /// <summary>Installs infra's npm packages once if any of <paramref name="packages"/> is missing (a clean clone).</summary>
    public static async Task EnsurePackagesAsync(params string[] packages)
    {
        bool Missing() => packages.Any(p => !File.Exists(Path.Combine(InfraDir, "node_modules", p, "package.json")));
        if (!Missing()) return;
        await InstallGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!Missing()) return;
            var result = await RunProcessAsync("npm", ["install", "--no-audit", "--no-fund"], InfraDir, new Dictionary<string, string>(), TimeSpan.FromMinutes(5)).ConfigureAwait(false);
            if (result.ExitCode != 0 || Missing())
                throw new InvalidOperationException($"npm install failed ({result.ExitCode}): {result.Stderr}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public static Task<NodeResult> RunScriptAsync(string scriptName, IDictionary<string, string> env, TimeSpan timeout)
    {
        env["CARTCALL_INFRA_DIR"] = InfraDir;
        return RunProcessAsync("node", [ScriptPath(scriptName)], InfraDir, env, timeout);
    }

    private static async Task<NodeResult> RunProcessAsync(string file, string[] args, string workingDirectory, IDictionary<string, string> env, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        // Keep the SDKs off any proxy: everything they talk to is on loopback.
        info.Environment["NO_PROXY"] = "127.0.0.1,localhost";
        info.Environment.Remove("HTTP_PROXY");
        info.Environment.Remove("HTTPS_PROXY");

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + file);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}. stderr: {stderr}");
        }

        process.WaitForExit(); // flush the async readers
        return new NodeResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln"))) return dir.FullName;
        throw new InvalidOperationException("Functions.sln not found above " + AppContext.BaseDirectory);
    }
}
