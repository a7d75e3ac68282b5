using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;

namespace CartCall.LocalCloud.Packaging;

/// <summary>
/// Builds the zip Flex Consumption deploys for the isolated worker: the <c>dotnet publish</c> output of the worker
/// project at the zip root, as the Functions host reads it. The root holds <c>host.json</c>, the
/// <c>functions.metadata</c> the Worker SDK generates (the host's list of functions and bindings),
/// <c>worker.config.json</c> (how the host starts the worker: <c>dotnet CartCall.Functions.dll</c>),
/// <c>extensions.json</c> and the <c>.azurefunctions</c> folder with the host-side binding extensions, and the app's
/// assemblies. There is no <c>function.json</c> folder and no executable of the app's own: the worker is
/// framework-dependent and the host starts it with <c>dotnet</c>. <c>local.settings.json</c> is never packed.
/// </summary>
public static class FunctionPackage
{
    /// <summary>Developer settings with local secrets: never deployed.</summary>
    public const string LocalSettingsFileName = "local.settings.json";

    /// <summary>The files the Functions host reads at the package root, and the extension folder beside them.</summary>
    public const string HostJson = "host.json";

    public const string FunctionsMetadata = "functions.metadata";

    public const string WorkerConfig = "worker.config.json";

    public const string ExtensionsJson = "extensions.json";

    public const string ExtensionsFolder = ".azurefunctions";

    // The worker runtime Flex runs this app on (functionAppConfig.runtime.name in bicep/modules/functionApp.bicep).
    private const string WorkerLanguage = "dotnet-isolated";

    // Fixed entry times make the zip a function of its inputs, so two builds of one commit are byte-identical.
    private static readonly DateTimeOffset EntryTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const int RegularFileType = 0x8000; // S_IFREG, the high half of a zip entry's Unix attributes.
    private const UnixFileMode RegularMode = (UnixFileMode)0x1A4; // rw-r--r--: nothing in the package is executed directly.

    // Binding types the Functions host serves only through an extension, and the name that extension has in
    // extensions.json. HTTP and timer triggers are built into the host.
    private static readonly Dictionary<string, string> ExtensionForBinding = new(StringComparer.OrdinalIgnoreCase)
    {
        ["queueTrigger"] = "AzureStorageQueues",
        ["queue"] = "AzureStorageQueues",
        ["orchestrationTrigger"] = "DurableTask",
        ["activityTrigger"] = "DurableTask",
        ["entityTrigger"] = "DurableTask",
        ["durableClient"] = "DurableTask",
    };

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Builds the package and returns the full path of the zip. Publishes <see cref="PackageOptions.AppProject"/> with
    /// <c>dotnet publish</c> unless <see cref="PackageOptions.PrebuiltAppDirectory"/> is given, then checks that the
    /// output is what the Functions host needs before writing anything.
    /// </summary>
    /// <exception cref="FileNotFoundException">The repository has no host.json.</exception>
    /// <exception cref="DirectoryNotFoundException">The prebuilt app folder is missing.</exception>
    /// <exception cref="InvalidDataException">The published app is not a deployable isolated worker; the message lists
    /// every problem found.</exception>
    /// <exception cref="InvalidOperationException"><c>dotnet publish</c> failed.</exception>
    public static async Task<string> BuildAsync(PackageOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var root = Path.GetFullPath(options.RepositoryRoot);
        var hostJsonPath = Path.Combine(root, HostJson);
        if (!File.Exists(hostJsonPath))
        {
            throw new FileNotFoundException($"No host.json at the repository root '{root}'.", hostJsonPath);
        }

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
                appDirectory = Path.Combine(scratch, "publish");
                await PublishAsync(options, root, appDirectory, cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var entries = Entries(appDirectory);
            var problems = CheckLayout(appDirectory, entries, hostJsonPath);
            if (problems.Count > 0)
            {
                throw new InvalidDataException(
                    $"'{appDirectory}' is not a deployable isolated worker app:{Environment.NewLine}- "
                    + string.Join(Environment.NewLine + "- ", problems));
            }

            var output = Path.GetFullPath(options.OutputZipPath);
            await WriteZipAsync(output, entries, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Every file of the published app by its zip name, in ordinal order, without local settings.</summary>
    private static List<PackageEntry> Entries(string appDirectory) =>
        Directory.EnumerateFiles(appDirectory, "*", SearchOption.AllDirectories)
            .Where(f => !string.Equals(Path.GetFileName(f), LocalSettingsFileName, StringComparison.OrdinalIgnoreCase))
            .Select(f => new PackageEntry(Path.GetRelativePath(appDirectory, f).Replace('\\', '/'), f))
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>What would keep the Functions host from loading this app; empty when it is deployable.</summary>
    private static List<string> CheckLayout(string appDirectory, List<PackageEntry> entries, string repositoryHostJson)
    {
        var problems = new List<string>();
        var names = entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        string PathOf(string name) => Path.Combine(appDirectory, name);

        // host.json: the repository's, as the project copies it into the output; a different one means a stale publish.
        if (!names.Contains(HostJson))
        {
            problems.Add($"no {HostJson} at the root (the worker project copies the repository's into its output).");
        }
        else
        {
            if (!File.ReadAllBytes(PathOf(HostJson)).AsSpan().SequenceEqual(File.ReadAllBytes(repositoryHostJson)))
            {
                problems.Add($"its {HostJson} differs from the repository's: publish again.");
            }

            using var host = ReadJson(PathOf(HostJson), problems);
            if (host is not null)
            {
                if (host.RootElement.ValueKind != JsonValueKind.Object
                    || !host.RootElement.TryGetProperty("version", out var version) || version.GetString() != "2.0")
                {
                    problems.Add($"{HostJson} has no \"version\": \"2.0\".");
                }
                else if (host.RootElement.TryGetProperty("customHandler", out _))
                {
                    problems.Add($"{HostJson} has a customHandler section: the host would start a custom handler, not the worker.");
                }
            }
        }

        // worker.config.json: how the host starts the worker.
        string? workerAssembly = null;
        if (!names.Contains(WorkerConfig))
        {
            problems.Add($"no {WorkerConfig} (Microsoft.Azure.Functions.Worker.Sdk writes it at build).");
        }
        else
        {
            using var config = ReadJson(PathOf(WorkerConfig), problems);
            if (config is not null && config.RootElement.ValueKind == JsonValueKind.Object
                && config.RootElement.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.Object)
            {
                var language = description.TryGetProperty("language", out var l) ? l.GetString() : null;
                var executable = description.TryGetProperty("defaultExecutablePath", out var e) ? e.GetString() : null;
                workerAssembly = description.TryGetProperty("defaultWorkerPath", out var w) ? w.GetString() : null;
                if (language != WorkerLanguage)
                {
                    problems.Add($"{WorkerConfig} says language '{language}'; Flex runs this app as '{WorkerLanguage}'.");
                }

                if (executable != "dotnet")
                {
                    problems.Add($"{WorkerConfig} starts '{executable}': publish framework-dependent, so the host starts the worker with dotnet.");
                }

                if (string.IsNullOrEmpty(workerAssembly) || !names.Contains(workerAssembly))
                {
                    problems.Add($"{WorkerConfig} names the worker '{workerAssembly}', which is not in the package.");
                }
            }
            else if (config is not null)
            {
                problems.Add($"{WorkerConfig} has no \"description\" object.");
            }
        }

        // extensions.json and .azurefunctions: the host-side binding extensions.
        var extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (!entries.Any(e => e.Name.StartsWith(ExtensionsFolder + "/", StringComparison.Ordinal)))
        {
            problems.Add($"no {ExtensionsFolder} folder (the Worker SDK builds the host's binding extensions into it).");
        }

        if (!names.Contains(ExtensionsJson))
        {
            problems.Add($"no {ExtensionsJson} (it tells the host which extensions in {ExtensionsFolder} to load).");
        }
        else
        {
            using var json = ReadJson(PathOf(ExtensionsJson), problems);
            if (json is not null && json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("extensions", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var extension in list.EnumerateArray())
                {
                    var name = extension.TryGetProperty("name", out var n) ? n.GetString() : null;
                    if (!string.IsNullOrEmpty(name))
                    {
                        extensions.Add(name);
                    }

                    var hint = extension.TryGetProperty("hintPath", out var h) ? h.GetString() : null;
                    var entry = hint is null ? null : EntryName(hint);
                    if (string.IsNullOrEmpty(entry) || !names.Contains(entry))
                    {
                        problems.Add($"{ExtensionsJson} loads extension '{name}' from '{hint}', which is not in the package.");
                    }
                }
            }
            else if (json is not null)
            {
                problems.Add($"{ExtensionsJson} has no \"extensions\" array.");
            }
        }

        // functions.metadata: the functions the host indexes, and the extensions their bindings need.
        if (!names.Contains(FunctionsMetadata))
        {
            problems.Add($"no {FunctionsMetadata} (the Worker SDK generates it from the [Function] methods).");
        }
        else
        {
            using var metadata = ReadJson(PathOf(FunctionsMetadata), problems);
            if (metadata is not null)
            {
                CheckFunctions(metadata.RootElement, extensions, problems);
            }
        }

        // Nothing of the custom-handler layout, and no executable of the app's own.
        problems.AddRange(entries
            .Where(e => string.Equals(Path.GetFileName(e.Name), "function.json", StringComparison.OrdinalIgnoreCase))
            .Select(e => $"{e.Name}: function.json folders are the custom-handler layout; the worker's functions come from {FunctionsMetadata}."));
        if (workerAssembly is not null && Path.GetFileNameWithoutExtension(workerAssembly) is { Length: > 0 } appHost && names.Contains(appHost))
        {
            problems.Add($"'{appHost}' is an executable the host never starts (it runs 'dotnet {workerAssembly}'): publish with -p:UseAppHost=false.");
        }

        return problems;
    }

    /// <summary>A path relative to the app folder (<c>./.azurefunctions/x.dll</c>) as its zip entry name.</summary>
    internal static string EntryName(string relativePath)
    {
        var name = relativePath.Replace('\\', '/');
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name.TrimStart('/');
    }

    private static void CheckFunctions(JsonElement metadata, HashSet<string> extensions, List<string> problems)
    {
        if (metadata.ValueKind != JsonValueKind.Array || metadata.GetArrayLength() == 0)
        {
            problems.Add($"{FunctionsMetadata} lists no functions.");
            return;
        }

        foreach (var function in metadata.EnumerateArray())
        {
            var name = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var n) ? n.GetString() : null;
            if (string.IsNullOrEmpty(name)
                || !function.TryGetProperty("bindings", out var bindings) || bindings.ValueKind != JsonValueKind.Array || bindings.GetArrayLength() == 0)
            {
                problems.Add($"{FunctionsMetadata} has a function without a name or bindings: {function.GetRawText()}");
                continue;
            }

            foreach (var binding in bindings.EnumerateArray())
            {
                var type = binding.TryGetProperty("type", out var t) ? t.GetString() : null;
                if (type is not null && ExtensionForBinding.TryGetValue(type, out var extension) && !extensions.Contains(extension))
                {
                    problems.Add($"{name} has a {type} binding, but {ExtensionsJson} does not load the {extension} extension.");
                }
            }
        }
    }

    private static JsonDocument? ReadJson(string path, List<string> problems)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), Lenient);
        }
        catch (JsonException ex)
        {
            problems.Add($"{Path.GetFileName(path)} is not valid JSON: {ex.Message}");
            return null;
        }
    }

    private static async Task WriteZipAsync(string output, List<PackageEntry> entries, CancellationToken cancellationToken)
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
                    // The same mode whatever machine packs it: the host reads every file and executes none.
                    zipEntry.ExternalAttributes = (RegularFileType | (int)RegularMode) << 16;

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

    /// <summary>The <c>dotnet publish</c> arguments: framework-dependent, no app host, optionally for one runtime.</summary>
    internal static IReadOnlyList<string> PublishArguments(PackageOptions options, string project, string appDirectory)
    {
        var arguments = new List<string>
        {
            "publish", project, "-c", options.Configuration, "-o", appDirectory, "--nologo",
            // The host starts the worker as `dotnet CartCall.Functions.dll` (worker.config.json): an app host
            // executable would only sit in the package looking like a custom handler.
            "-p:UseAppHost=false",
        };
        if (options.RuntimeIdentifier is { } rid)
        {
            arguments.AddRange(["-r", rid, "--self-contained", "false"]);
        }

        if (options.NoBuild)
        {
            arguments.Add("--no-build");
        }

        return arguments;
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
        foreach (var argument in PublishArguments(options, project, appDirectory))
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

    private sealed record PackageEntry(string Name, string SourcePath);
}
