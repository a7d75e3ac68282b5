using System.IO.Compression;
using System.Text;
using CartCall.LocalCloud.Packaging;

namespace CartCall.LocalCloud.Tests.Packaging;

/// <summary>
/// Builds packages from a throw-away repository layout (host.json, two function folders, a prebuilt app folder), so
/// no <c>dotnet publish</c> runs here.
/// </summary>
public sealed class FunctionPackageTests : IDisposable
{
    private const string HostJson = """
        {
          "version": "2.0",
          "customHandler": {
            "description": { "defaultExecutablePath": "app/CartCall.Functions", "workingDirectory": "app", "arguments": [] },
            "enableProxyingHttpRequest": true
          }
        }
        """;

    private const string HttpFunctionJson = """
        { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "route": "offers/deliveries", "methods": ["post", "options"], "authLevel": "function" },
                        { "type": "http", "direction": "out", "name": "res" } ] }
        """;

    private const string QueueFunctionJson = """
        { "bindings": [ { "type": "queueTrigger", "direction": "in", "name": "message", "queueName": "calls", "connection": "AzureWebJobsStorage" } ] }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("cartcall-package-test-").FullName;

    public FunctionPackageTests()
    {
        Write("host.json", HostJson);
        Write("functions/Definitions/DeliverOffer/function.json", HttpFunctionJson);
        Write("functions/Definitions/PlaceCall/function.json", QueueFunctionJson);
        Write("functions/Definitions/PlaceCall/notes.txt", "not deployed");
        Write("local.settings.json", """{ "Values": { "Secret": "root" } }""");
        Write("prebuilt/CartCall.Functions", "#!/bin/sh\necho handler\n");
        Write("prebuilt/CartCall.Functions.dll", "dll");
        Write("prebuilt/appsettings.json", "{}");
        Write("prebuilt/local.settings.json", """{ "Values": { "Secret": "app" } }""");
        Write("prebuilt/wwwroot/widget.js", "console.log('widget');");
        if (!OperatingSystem.IsWindows())
        {
            // As a Windows publish would leave it: the handler without its execute bit.
            File.SetUnixFileMode(Path.Combine(_root, "prebuilt/CartCall.Functions"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task BuildAsync_LaysOutHostJsonFunctionsAndApp_AsTheFunctionsHostExpects()
    {
        var zipPath = await FunctionPackage.BuildAsync(Options(), CancellationToken.None);

        Assert.Equal(Path.Combine(_root, "out", "cartcall.zip"), zipPath);
        using var zip = ZipFile.OpenRead(zipPath);
        Assert.Equal(
            [
                "host.json",
                "DeliverOffer/function.json",
                "PlaceCall/function.json",
                "app/CartCall.Functions",
                "app/CartCall.Functions.dll",
                "app/appsettings.json",
                "app/wwwroot/widget.js",
            ],
            zip.Entries.Select(e => e.FullName));
        Assert.Equal(HostJson, Read(zip, "host.json"));
        Assert.Equal(QueueFunctionJson, Read(zip, "PlaceCall/function.json"));
        Assert.Equal("#!/bin/sh\necho handler\n", Read(zip, "app/CartCall.Functions"));
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
    public async Task BuildAsync_MarksTheHandlerExecutable_ForTheLinuxHost()
    {
        var zipPath = await FunctionPackage.BuildAsync(Options(), CancellationToken.None);

        using var zip = ZipFile.OpenRead(zipPath);
        var handlerMode = (zip.GetEntry("app/CartCall.Functions")!.ExternalAttributes >> 16) & 0x1FF;
        var dllMode = (zip.GetEntry("app/CartCall.Functions.dll")!.ExternalAttributes >> 16) & 0x1FF;
        Assert.Equal(0x1ED, handlerMode); // rwxr-xr-x
        Assert.Equal(0, dllMode & 0x49); // no execute bits on a plain file
    }

    [Fact]
    public async Task BuildAsync_IsReproducible_ForTheSameInputs()
    {
        var first = await File.ReadAllBytesAsync(await FunctionPackage.BuildAsync(Options(), CancellationToken.None));
        var second = await File.ReadAllBytesAsync(await FunctionPackage.BuildAsync(Options() with { OutputZipPath = Path.Combine(_root, "out", "again.zip") }, CancellationToken.None));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task BuildAsync_WithoutHostJson_ThrowsFileNotFound()
    {
        File.Delete(Path.Combine(_root, "host.json"));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("host.json", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip")));
    }

    [Fact]
    public async Task BuildAsync_WhenTheAppLacksTheHandlerHostJsonNames_Throws()
    {
        File.Delete(Path.Combine(_root, "prebuilt/CartCall.Functions"));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("app/CartCall.Functions", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "out", "cartcall.zip")));
    }

    [Fact]
    public async Task BuildAsync_WhenHostJsonIsNotACustomHandler_Throws()
    {
        Write("host.json", """{ "version": "2.0" }""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("defaultExecutablePath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenAFunctionFolderHasNoFunctionJson_NamesTheFolder()
    {
        Directory.CreateDirectory(Path.Combine(_root, "functions/Definitions/AcceptOffer"));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("AcceptOffer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WhenAFunctionJsonHasNoBindings_Throws()
    {
        Write("functions/Definitions/DeliverOffer/function.json", """{ "disabled": false }""");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));

        Assert.Contains("bindings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_WithoutAnyFunctions_Throws()
    {
        Directory.Delete(Path.Combine(_root, "functions/Definitions"), recursive: true);
        Directory.CreateDirectory(Path.Combine(_root, "functions/Definitions"));

        await Assert.ThrowsAsync<InvalidDataException>(() => FunctionPackage.BuildAsync(Options(), CancellationToken.None));
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

    private PackageOptions Options() => new()
    {
        RepositoryRoot = _root,
        OutputZipPath = Path.Combine(_root, "out", "cartcall.zip"),
        PrebuiltAppDirectory = Path.Combine(_root, "prebuilt"),
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
