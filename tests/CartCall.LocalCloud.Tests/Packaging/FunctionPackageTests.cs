using System.IO.Compression;
using System.Text;
using CartCall.LocalCloud.Packaging;

namespace CartCall.LocalCloud.Tests.Packaging;

/// <summary>
/// The packer's rules, on a throw-away repository and a publish folder laid out as the Worker SDK lays out the real one
/// (PublishedPackageTests packs the real one). No <c>dotnet publish</c> runs here.
/// </summary>
public sealed class FunctionPackageTests : IDisposable
{
    private const string HostJson = """
        {
          "version": "2.0",
          "extensions": { "durableTask": { "hubName": "CartCall", "storageProvider": { "type": "AzureStorage", "maxQueuePollingInterval": "00:00:10" } } }
        }
        """;

    private const string WorkerConfig = """
        { "description": { "language": "dotnet-isolated", "extensions": [ ".dll" ], "defaultExecutablePath": "dotnet", "defaultWorkerPath": "CartCall.Functions.dll", "workerIndexing": "true" } }
        """;

    private const string FunctionsMetadata = """
        [
          { "name": "DeliverOffer", "scriptFile": "CartCall.Functions.dll", "language": "dotnet-isolated",
            "bindings": [ { "name": "req", "direction": "In", "type": "httpTrigger", "methods": [ "post" ], "route": "offers/deliveries" },
                          { "name": "$return", "type": "http", "direction": "Out" } ] },
          { "name": "PlaceCall", "scriptFile": "CartCall.Functions.dll", "language": "dotnet-isolated",
            "bindings": [ { "name": "message", "direction": "In", "type": "queueTrigger", "queueName": "calls" } ] }
        ]
        """;

    private const string ExtensionsJson = """
        { "extensions": [
            { "name": "AzureStorageQueues", "typeName": "Queues.Startup", "hintPath": "./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll" },
            { "name": "Startup", "typeName": "Loader.Startup", "hintPath": "./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll" } ] }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("cartcall-package-test-").FullName;

    public FunctionPackageTests()
    {
        Write("host.json", HostJson);
        Write("local.settings.json", """{ "Values": { "Secret": "root" } }""");
        Write("published/host.json", HostJson);
        Write("published/worker.config.json", WorkerConfig);
        Write("published/functions.metadata", FunctionsMetadata);
        Write("published/extensions.json", ExtensionsJson);
        Write("published/.azurefunctions/Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll", "queues extension");
        Write("published/.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll", "metadata loader");
        Write("published/CartCall.Functions.dll", "worker");
        Write("published/CartCall.Functions.deps.json", "{}");
        Write("published/CartCall.Functions.runtimeconfig.json", """{ "runtimeOptions": { "tfm": "net10.0" } }""");
        Write("published/local.settings.json", """{ "Values": { "Secret": "app" } }""");
        Write("published/runtimes/win/lib/net10.0/System.Native.dll", "native");
        if (!OperatingSystem.IsWindows())
        {
            // As a build may leave it: group-writable and executable. The package does not carry that over.
            File.SetUnixFileMode(Path.Combine(_root, "published/CartCall.Functions.dll"), (UnixFileMode)0x1FD);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task BuildAsync_PutsThePublishOutputAtTheZipRoot()
    {
        var zipPath = await FunctionPackage.BuildAsync(Options(), CancellationToken.None);

        Assert.Equal(Path.Combine(_root, "out", "cartcall.zip"), zipPath);
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Equal(
            [
                ".azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll",
                ".azurefunctions/Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll",
                "CartCall.Functions.deps.json",
                "CartCall.Functions.dll",
                "CartCall.Functions.runtimeconfig.json",
                "extensions.json",
                "functions.metadata",
                "host.json",
                "runtimes/win/lib/net10.0/System.Native.dll",
                "worker.config.json",
            ],
            zip.Entries.Select(e => e.FullName));
        Assert.Equal(HostJson, Read(zip, "host.json"));
        Assert.Equal(FunctionsMetadata, Read(zip, "functions.metadata"));
    }

    [Fact]
    public async Task BuildAsync_LeavesOutLocalSettings_Everywhere()
    {
        var zipPath = await FunctionPackage.BuildAsync(Options(), CancellationToken.None);

        using var zip = ZipFile.OpenRead(zipPath);
        Assert.DoesNotContain(zip.Entries, e => e.Name.Equals("local.settings.json", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(zip.Entries, e => Read(zip, e.FullName).Contains("Secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BuildAsync_GivesEveryEntryTheSamePlainFileMode()
    {
        var zipPath = await FunctionPackage.BuildAsync(Options(), CancellationToken.None);

        using var zip = ZipFile.OpenRead(zipPath);
        Assert.All(zip.Entries, e => Assert.Equal(0x81A4, (e.ExternalAttributes >> 16) & 0xFFFF)); // regular file, rw-r--r--
    }

    [Fact]
    public async Task BuildAsync_IsReproducible_ForTheSameInputs()
    {
        var first = await File.ReadAllBytesAsync(await FunctionPackage.BuildAsync(Options(), CancellationToken.None));
        var second = await File.ReadAllBytesAsync(await FunctionPackage.BuildAsync(Options() with { OutputZipPath = Path.Combine(_root, "out", "again.zip") }, CancellationToken.None));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task BuildAsync_WithoutHostJsonInTheRepository_ThrowsFileNotFound()
    {
        File.Delete(Path.Combine(_root, "host.json"));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("host.json", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip")));
    }

    [Theory]
    [InlineData("host.json")]
    [InlineData("functions.metadata")]
    [InlineData("worker.config.json")]
    [InlineData("extensions.json")]
    public async Task BuildAsync_WhenTheHostsFileIsMissing_NamesIt(string file)
    {
        File.Delete(Path.Combine(_root, "published", file));

        var error = await BuildFailsAsync();

        Assert.Contains($"no {file}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WithoutTheExtensionFolder_Throws()
    {
        Directory.Delete(Path.Combine(_root, "published", ".azurefunctions"), recursive: true);

        var error = await BuildFailsAsync();

        Assert.Contains("no .azurefunctions folder", error.Message, StringComparison.Ordinal);
        // extensions.json now points at files that are not there.
        Assert.Contains("AzureStorageQueues", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenThePublishedHostJsonIsStale_Throws()
    {
        Write("host.json", HostJson.Replace("00:00:10", "00:00:05", StringComparison.Ordinal));

        var error = await BuildFailsAsync();

        Assert.Contains("host.json differs from the repository's", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenHostJsonIsACustomHandlers_Throws()
    {
        const string custom = """{ "version": "2.0", "customHandler": { "description": { "defaultExecutablePath": "app/CartCall.Functions" } } }""";
        Write("host.json", custom);
        Write("published/host.json", custom);

        var error = await BuildFailsAsync();

        Assert.Contains("customHandler", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"language\": \"dotnet-isolated\"", "\"language\": \"custom\"", "language 'custom'")]
    [InlineData("\"defaultExecutablePath\": \"dotnet\"", "\"defaultExecutablePath\": \"{WorkerRoot}CartCall.Functions\"", "framework-dependent")]
    [InlineData("\"defaultWorkerPath\": \"CartCall.Functions.dll\"", "\"defaultWorkerPath\": \"Other.dll\"", "'Other.dll', which is not in the package")]
    public async Task BuildAsync_WhenWorkerConfigDoesNotStartTheWorkerWithDotnet_Throws(string from, string to, string expected)
    {
        Write("published/worker.config.json", WorkerConfig.Replace(from, to, StringComparison.Ordinal));

        var error = await BuildFailsAsync();

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenTheOutputHasFunctionJsonFolders_Throws()
    {
        Write("published/PlaceCall/function.json", """{ "bindings": [ { "type": "queueTrigger" } ] }""");

        var error = await BuildFailsAsync();

        Assert.Contains("PlaceCall/function.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenTheOutputHasAnAppHostExecutable_Throws()
    {
        Write("published/CartCall.Functions", "\u007fELF");

        var error = await BuildFailsAsync();

        Assert.Contains("UseAppHost=false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenABindingsExtensionIsNotLoaded_NamesTheFunction()
    {
        Write("published/functions.metadata", FunctionsMetadata.Replace(
            "\"type\": \"queueTrigger\", \"queueName\": \"calls\"",
            "\"type\": \"orchestrationTrigger\"",
            StringComparison.Ordinal));

        var error = await BuildFailsAsync();

        Assert.Contains("PlaceCall has a orchestrationTrigger binding", error.Message, StringComparison.Ordinal);
        Assert.Contains("DurableTask", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenFunctionsMetadataListsNoFunctions_Throws()
    {
        Write("published/functions.metadata", "[]");

        var error = await BuildFailsAsync();

        Assert.Contains("lists no functions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenCancelled_WritesNoZip()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FunctionPackage.BuildAsync(Options(), cancelled.Token));

        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip")));
        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip.partial")));
    }

    [Fact]
    public async Task BuildAsync_WithBlankRepositoryRoot_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            FunctionPackage.BuildAsync(Options() with { RepositoryRoot = " " }, CancellationToken.None));
    }

    [Theory]
    [InlineData(null, false, "publish|{project}|-c|Release|-o|{out}|--nologo|-p:UseAppHost=false")]
    [InlineData("linux-x64", true, "publish|{project}|-c|Release|-o|{out}|--nologo|-p:UseAppHost=false|-r|linux-x64|--self-contained|false|--no-build")]
    public void PublishArguments_AreFrameworkDependent_WithoutAnAppHost(string? runtime, bool noBuild, string expected)
    {
        var arguments = FunctionPackage.PublishArguments(Options() with { RuntimeIdentifier = runtime, NoBuild = noBuild }, "{project}", "{out}");

        Assert.Equal(expected.Split('|'), arguments);
    }

    private async Task<InvalidDataException> BuildFailsAsync()
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip")), "a zip was written for a layout that failed");
        return error;
    }

    private PackageOptions Options() => new()
    {
        RepositoryRoot = _root,
        OutputZipPath = Path.Combine(_root, "out", "cartcall.zip"),
        PrebuiltAppDirectory = Path.Combine(_root, "published"),
    };

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
