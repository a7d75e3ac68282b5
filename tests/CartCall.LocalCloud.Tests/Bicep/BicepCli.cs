using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace CartCall.LocalCloud.Tests.Bicep;

/// <summary>One diagnostic line of the Bicep CLI: <c>path(line,col) : Warning rule: message [link]</c>.</summary>
internal sealed record BicepDiagnostic(string File, int Line, string Level, string Code, string Message)
{
    public override string ToString() => $"{Path.GetFileName(File)}({Line}) {Level} {Code}: {Message}";
}

internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError)
{
    public IReadOnlyList<BicepDiagnostic> Diagnostics => BicepCli.ParseDiagnostics(StandardError);
}

/// <summary>
/// Runs the real Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 (referenced by this test project
/// with GeneratePathProperty, so the binary sits in the NuGet cache).
/// </summary>
internal static partial class BicepCli
{
    private static readonly Lazy<string> Executable = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Path => Executable.Value;

    public static async Task<BicepResult> RunAsync(
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryPaths.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Parameter files read CARTCALL_* variables; a developer's shell must not change what the test sees.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("CARTCALL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Path}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', start.ArgumentList)} did not finish within 3 minutes.");
        }

        return new BicepResult(process.ExitCode, await stdout, await stderr);
    }

    public static IReadOnlyList<BicepDiagnostic> ParseDiagnostics(string standardError) =>
        DiagnosticLine().Matches(standardError)
            .Select(m => new BicepDiagnostic(
                m.Groups["file"].Value.Trim(),
                int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture),
                m.Groups["level"].Value,
                m.Groups["code"].Value,
                m.Groups["message"].Value.Trim()))
            .ToList();

    private static string Locate()
    {
        var packageFolder = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BicepPackagePath")?.Value;
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(packageFolder))
        {
            candidates.Add(System.IO.Path.Combine(packageFolder, "tools", "bicep"));
        }

        // Fallback: the restored NuGet folder, newest version first.
        var nugetRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var packageRoot = System.IO.Path.Combine(nugetRoot, "azure.bicep.commandline.linux-x64");
        if (Directory.Exists(packageRoot))
        {
            candidates.AddRange(Directory.EnumerateDirectories(packageRoot)
                .OrderByDescending(d => Version.TryParse(System.IO.Path.GetFileName(d), out var v) ? v : new Version(0, 0))
                .Select(d => System.IO.Path.Combine(d, "tools", "bicep")));
        }

        var found = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                "The Bicep CLI was not found. Restore tests/CartCall.LocalCloud.Tests (package Azure.Bicep.CommandLine.linux-x64). Looked in: "
                + string.Join(", ", candidates));

        // NuGet extraction does not always keep the execute bit.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(found);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(found, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return found;
    }

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+),(?<col>\d+)\) : (?<level>Error|Warning|Info) (?<code>[^:\s]+): (?<message>.*)$", RegexOptions.Multiline)]
    private static partial Regex DiagnosticLine();
}

/// <summary>Paths in the repository, found by walking up from the test binaries to the folder with Functions.sln.</summary>
internal static class RepositoryPaths
{
    private static readonly Lazy<string> RootFolder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Functions.sln above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootFolder.Value;

    public static string Bicep => Path.Combine(Root, "bicep");
}
