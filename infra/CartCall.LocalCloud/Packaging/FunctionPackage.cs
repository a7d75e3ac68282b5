using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CartCall.LocalCloud.Packaging;

/// <summary>
/// Builds the zip Azure Functions deploys (Flex Consumption one-deploy / zip deploy), laid out as the host expects a
/// custom-handler app: <c>host.json</c> at the root, one <c>&lt;FunctionName&gt;/function.json</c> folder per
/// function, and the published handler under <c>app/</c> (host.json's
/// <c>customHandler.description.defaultExecutablePath</c> is <c>app/CartCall.Functions</c>).
/// </summary>
public static partial class FunctionPackage
{
    /// <summary>The folder the published custom handler goes into.</summary>
    public const string AppFolder = "app";

    /// <summary>Developer settings with local secrets: never deployed.</summary>
    public const string LocalSettingsFileName = "local.settings.json";

    // Fixed entry times make the zip a function of its inputs, so two builds of one commit are byte-identical.
    private static readonly DateTimeOffset EntryTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int RegularFileType = 0x8000; // S_IFREG, the high half of a zip entry's Unix attributes.
    private const UnixFileMode ExecutableMode = (UnixFileMode)0x1ED; // rwxr-xr-x
    private const UnixFileMode RegularMode = (UnixFileMode)0x1A4; // rw-r--r--

    /// <summary>
    /// Builds the package and returns the full path of the zip. Publishes <see cref="PackageOptions.AppProject"/> with
    /// <c>dotnet publish</c> unless <see cref="PackageOptions.PrebuiltAppDirectory"/> is given.
    /// </summary>
    /// <exception cref="FileNotFoundException">host.json is missing.</exception>
    /// <exception cref="DirectoryNotFoundException">The definitions folder or the prebuilt app folder is missing.</exception>
    /// <exception cref="InvalidDataException">host.json or a function.json is malformed, there are no functions, or the
    /// handler executable host.json names is not in the package.</exception>
    /// <exception cref="InvalidOperationException"><c>dotnet publish</c> failed.</exception>
    public static async Task<string> BuildAsync(PackageOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var root = Path.GetFullPath(options.RepositoryRoot);
        var hostJsonPath = Path.Combine(root, "host.json");
        if (!File.Exists(hostJsonPath))
        {
            throw new FileNotFoundException($"No host.json at the repository root '{root}'.", hostJsonPath);
        }

        var executableEntry = ReadExecutableEntry(hostJsonPath);
        var functions = FindFunctions(Path.Combine(root, options.DefinitionsDirectory));

        string? scratch = null;
        try
        {
            string appDirectory;
            if (options.PrebuiltAppDirectory is { } prebuilt)
            {
                appDirectory = Path.GetFullPath(prebuilt);
                if (!Directory.Exists(appDirectory))
                {
                    throw new DirectoryNotFoundException($"The prebuilt app folder '{appDirectory}' does not exist.");
                }
            }
            else
            {
                scratch = Directory.CreateTempSubdirectory("cartcall-package-").FullName;
                appDirectory = Path.Combine(scratch, AppFolder);
                await PublishAsync(options, root, appDirectory, cancellationToken).ConfigureAwait(false);
            }

            var entries = new List<PackageEntry> { new("host.json", hostJsonPath) };
            entries.AddRange(functions.Select(f => new PackageEntry($"{f.Name}/function.json", f.FunctionJsonPath)));
            entries.AddRange(AppEntries(appDirectory));

            if (!entries.Any(e => string.Equals(e.Name, executableEntry, StringComparison.Ordinal)))
            {
                throw new InvalidDataException(
                    $"host.json runs '{executableEntry}', but the published app in '{appDirectory}' has no such file.");
            }

            var output = Path.GetFullPath(options.OutputZipPath);
            await WriteZipAsync(output, entries, executableEntry, cancellationToken).ConfigureAwait(false);
            return output;
        }
        finally
        {
            if (scratch is not null)
            {
                TryDeleteDirectory(scratch);
            }
        }
    }

    /// <summary>The zip entry host.json starts as the custom handler, e.g. <c>app/CartCall.Functions</c>.</summary>
    private static string ReadExecutableEntry(string hostJsonPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(hostJsonPath), new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"host.json is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("customHandler", out var handler)
                && handler.ValueKind == JsonValueKind.Object
                && handler.TryGetProperty("description", out var description)
                && description.ValueKind == JsonValueKind.Object
                && description.TryGetProperty("defaultExecutablePath", out var path)
                && path.ValueKind == JsonValueKind.String
                && !string.IsNullOrWhiteSpace(path.GetString()))
            {
                var entry = path.GetString()!.Replace('\\', '/').TrimStart('.', '/');
                if (!entry.StartsWith(AppFolder + "/", StringComparison.Ordinal))
                {
                    throw new InvalidDataException(
                        $"host.json customHandler.description.defaultExecutablePath is '{entry}'; the package puts the handler under '{AppFolder}/'.");
                }

                return entry;
            }
        }

        throw new InvalidDataException("host.json has no customHandler.description.defaultExecutablePath: it is not a custom-handler app.");
    }

    private static List<FunctionDefinition> FindFunctions(string definitionsDirectory)
    {
        if (!Directory.Exists(definitionsDirectory))
        {
            throw new DirectoryNotFoundException($"The function definitions folder '{definitionsDirectory}' does not exist.");
        }

        var functions = new List<FunctionDefinition>();
        foreach (var folder in Directory.EnumerateDirectories(definitionsDirectory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(folder);
            if (!FunctionName().IsMatch(name))
            {
                throw new InvalidDataException(
                    $"'{name}' in '{definitionsDirectory}' is not a valid function name (a letter, then letters, digits, '_' or '-').");
            }

            if (string.Equals(name, AppFolder, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"A function may not be called '{name}': that folder holds the handler.");
            }

            var functionJson = Path.Combine(folder, "function.json");
            if (!File.Exists(functionJson))
            {
                throw new InvalidDataException($"The function folder '{folder}' has no function.json.");
            }

            CheckFunctionJson(functionJson);
            functions.Add(new FunctionDefinition(name, functionJson));
        }

        if (functions.Count == 0)
        {
            throw new InvalidDataException($"'{definitionsDirectory}' holds no function folders.");
        }

        return functions;
    }

    private static void CheckFunctionJson(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("bindings", out var bindings)
                || bindings.ValueKind != JsonValueKind.Array
                || bindings.GetArrayLength() == 0)
            {
                throw new InvalidDataException($"'{path}' has no \"bindings\" array: the host would not load it.");
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private static IEnumerable<PackageEntry> AppEntries(string appDirectory) =>
        Directory.EnumerateFiles(appDirectory, "*", SearchOption.AllDirectories)
            .Where(f => !string.Equals(Path.GetFileName(f), LocalSettingsFileName, StringComparison.OrdinalIgnoreCase))
            .Select(f => new PackageEntry(
                $"{AppFolder}/{Path.GetRelativePath(appDirectory, f).Replace('\\', '/')}",
                f))
            .OrderBy(e => e.Name, StringComparer.Ordinal);

    private static async Task WriteZipAsync(
        string output, List<PackageEntry> entries, string executableEntry, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(output);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        // Written beside the target and moved over it, so a failed build never leaves a half zip to deploy.
        var partial = output + ".partial";
        try
        {
            await using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            await using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: false))
            {
                foreach (var entry in entries)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var zipEntry = zip.CreateEntry(entry.Name, CompressionLevel.Optimal);
                    zipEntry.LastWriteTime = EntryTimestamp;
                    // The Linux host execs the handler straight from the package: it needs its execute bit even
                    // when the zip is built on Windows.
                    var mode = string.Equals(entry.Name, executableEntry, StringComparison.Ordinal)
                        ? ExecutableMode
                        : SourceMode(entry.SourcePath);
                    zipEntry.ExternalAttributes = (RegularFileType | (int)mode) << 16;

                    await using var source = File.OpenRead(entry.SourcePath);
                    await using var target = await zipEntry.OpenAsync(cancellationToken).ConfigureAwait(false);
                    await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
                }
            }

            File.Move(partial, output, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static UnixFileMode SourceMode(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return RegularMode;
        }

        var mode = File.GetUnixFileMode(path) & (UnixFileMode)0x1FF;
        // Always readable by the host's user; never writable by others.
        return (mode | RegularMode) & ~(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
    }

    private static async Task PublishAsync(
        PackageOptions options, string root, string appDirectory, CancellationToken cancellationToken)
    {
        var project = Path.Combine(root, options.AppProject);
        var start = new ProcessStartInfo(options.DotnetPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[]
                 {
                     "publish", project, "-c", options.Configuration, "-r", options.RuntimeIdentifier,
                     "--self-contained", "false", "-o", appDirectory, "--nologo",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        // The last lines are what explains a failure; a bounded tail keeps a noisy build from growing memory.
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 60)
                {
                    tail.Dequeue();
                }
            }
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start '{options.DotnetPath}'.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PublishTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"dotnet publish of '{project}' did not finish within {options.PublishTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            string output;
            lock (tail)
            {
                output = string.Join(Environment.NewLine, tail);
            }

            throw new InvalidOperationException(
                $"dotnet publish of '{project}' exited with {process.ExitCode}:{Environment.NewLine}{output}");
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space in the temp folder: leaving it behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex FunctionName();

    private sealed record FunctionDefinition(string Name, string FunctionJsonPath);

    private sealed record PackageEntry(string Name, string SourcePath);
}
