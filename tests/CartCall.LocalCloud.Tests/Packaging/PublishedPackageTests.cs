using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using CartCall.Functions;
using CartCall.LocalCloud.Packaging;
using CartCall.LocalCloud.Tests.Bicep;
using Microsoft.Azure.Functions.Worker;

namespace CartCall.LocalCloud.Tests.Packaging;

/// <summary>
/// Packs the real worker project with the real <c>dotnet publish</c>, once for these tests. It publishes the build
/// this test run already made (<c>--no-build</c>, the test's own configuration), so the zip holds exactly what was
/// built and tested, and the run does not build the app a second time.
/// </summary>
public sealed class PublishedPackage : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("cartcall-published-package-").FullName;

    public string ZipPath { get; private set; } = "";

    public async Task InitializeAsync() =>
        ZipPath = await FunctionPackage.BuildAsync(new PackageOptions
        {
            RepositoryRoot = RepositoryPaths.Root,
            OutputZipPath = Path.Combine(folder, "cartcall-functions.zip"),
#if DEBUG
            Configuration = "Debug",
#else
            Configuration = "Release",
#endif
            NoBuild = true,
        }, CancellationToken.None);

    public Task DisposeAsync()
    {
        Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PublishedPackageTests(PublishedPackage package) : IClassFixture<PublishedPackage>
{
    [Fact]
    public void TheZipRoot_HoldsWhatTheFunctionsHostReads()
    {
        using var zip = ZipFile.OpenRead(package.ZipPath);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);

        foreach (var file in new[]
                 {
                     "host.json", "functions.metadata", "worker.config.json", "extensions.json",
                     "CartCall.Functions.dll", "CartCall.Functions.deps.json", "CartCall.Functions.runtimeconfig.json",
                     "CartCall.Domain.dll", "Microsoft.Azure.Functions.Worker.dll",
                 })
        {
            Assert.Contains(file, names);
        }

        Assert.Contains(names, n => n.StartsWith(".azurefunctions/", StringComparison.Ordinal) && n.EndsWith(".dll", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")), Read(zip, "host.json"));
    }

    [Fact]
    public void TheZip_HasNoCustomHandlerParts_AndNoLocalSettings()
    {
        using var zip = ZipFile.OpenRead(package.ZipPath);

        Assert.DoesNotContain(zip.Entries, e => e.Name == "function.json");
        Assert.DoesNotContain(zip.Entries, e => e.Name.Equals("local.settings.json", StringComparison.OrdinalIgnoreCase));
        // No app host: nothing named like the worker without its .dll, and nothing starting with an ELF or PE header.
        Assert.DoesNotContain(zip.Entries, e => e.FullName == "CartCall.Functions");
        Assert.DoesNotContain(zip.Entries, e => e.FullName.StartsWith("app/", StringComparison.Ordinal));
        using var host = JsonDocument.Parse(Read(zip, "host.json"));
        Assert.False(host.RootElement.TryGetProperty("customHandler", out _));
    }

    [Fact]
    public void WorkerConfig_StartsTheFrameworkDependentWorker_WithDotnet()
    {
        using var zip = ZipFile.OpenRead(package.ZipPath);
        using var config = JsonDocument.Parse(Read(zip, "worker.config.json"));
        var description = config.RootElement.GetProperty("description");

        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.Equal("dotnet", description.GetProperty("defaultExecutablePath").GetString());
        var worker = description.GetProperty("defaultWorkerPath").GetString()!;
        Assert.NotNull(zip.GetEntry(worker));

        // Flex's dotnet-isolated 10.0 stack supplies the runtime: the app targets net10.0 and names its frameworks.
        using var runtimeConfig = JsonDocument.Parse(Read(zip, Path.ChangeExtension(worker, ".runtimeconfig.json")));
        var options = runtimeConfig.RootElement.GetProperty("runtimeOptions");
        Assert.Equal("net10.0", options.GetProperty("tfm").GetString());
        Assert.Contains(options.GetProperty("frameworks").EnumerateArray(), f => f.GetProperty("name").GetString() == "Microsoft.NETCore.App");
    }

    [Fact]
    public void FunctionsMetadata_ListsEveryFunctionOfTheApp_AndNoOther()
    {
        using var zip = ZipFile.OpenRead(package.ZipPath);
        using var metadata = JsonDocument.Parse(Read(zip, "functions.metadata"));
        var packed = metadata.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();

        var declared = typeof(CartCallApp).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(declared, packed);
    }

    [Fact]
    public void EveryExtensionTheHostLoads_IsInThePackage()
    {
        using var zip = ZipFile.OpenRead(package.ZipPath);
        using var extensions = JsonDocument.Parse(Read(zip, "extensions.json"));
        var list = extensions.RootElement.GetProperty("extensions").EnumerateArray().ToList();

        Assert.NotEmpty(list);
        foreach (var extension in list)
        {
            var hint = extension.GetProperty("hintPath").GetString()!;
            Assert.True(hint.StartsWith("./.azurefunctions/", StringComparison.Ordinal), hint);
            Assert.NotNull(zip.GetEntry(hint[2..]));
        }

        // The queue triggers need the Storage Queues extension on the host side.
        Assert.Contains(list, e => e.GetProperty("name").GetString() == "AzureStorageQueues");
    }

    private static string Read(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new FileNotFoundException($"{name} is not in the package.");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
