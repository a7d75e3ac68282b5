using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace CartCall.Testing;

/// <summary>What a node (or npm) process left behind.</summary>
public sealed record NodeScriptResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The last stdout line that parses as JSON (scripts print their result as one JSON line).</summary>
    public JsonElement LastJsonLine()
    {
        foreach (var line in StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            if (line.StartsWith('{') || line.StartsWith('['))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    return doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not the result line; keep looking.
                }
            }
        }

        throw new InvalidOperationException($"No JSON line in the script's output. stdout: {StandardOutput} stderr: {StandardError}");
    }

    public override string ToString() => $"exit {ExitCode}; stdout: {StandardOutput}; stderr: {StandardError}";
}

/// <summary>
/// Runs <c>node script.mjs</c> with extra environment variables. <c>NODE_PATH</c> points at <c>infra/node_modules</c>,
/// so scripts outside <c>infra/</c> load packages with <c>createRequire(import.meta.url)("@azure/...")</c>
/// (ESM <c>import</c> ignores NODE_PATH). Call <see cref="RepoPaths.EnsureNpmPackagesAsync"/> first.
/// </summary>
public static class NodeScript
{
    public static Task<NodeScriptResult> RunAsync(
        string scriptPath, IDictionary<string, string> env, TimeSpan timeout, CancellationToken ct)
    {
        if (!File.Exists(scriptPath))
        {
            throw new FileNotFoundException("Node script not found.", scriptPath);
        }

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Path.GetDirectoryName(scriptPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(scriptPath);
        // Scripts load Microsoft's SDKs from infra/node_modules: CommonJS through NODE_PATH, ESM through
        // createRequire(CARTCALL_INFRA_DIR/package.json), since ESM imports ignore NODE_PATH.
        start.Environment["NODE_PATH"] = RepoPaths.NodeModules;
        start.Environment["CARTCALL_INFRA_DIR"] = RepoPaths.Infra;
        // Keep node's own warnings (e.g. experimental features) out of stdout parsing and the run quiet.
        start.Environment["NODE_NO_WARNINGS"] = "1";
        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        return ProcessRunner.RunAsync(start, timeout, ct);
    }
}

internal static class ProcessRunner
{
    /// <summary>Runs to exit; past <paramref name="timeout"/> the process tree is killed and TimeoutException thrown.</summary>
    public static async Task<NodeScriptResult> RunAsync(ProcessStartInfo start, TimeSpan timeout, CancellationToken ct)
    {
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}. stderr: {stderr}");
        }

        // The parameterless wait drains the redirected streams after exit.
        process.WaitForExit();
        return new NodeScriptResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
