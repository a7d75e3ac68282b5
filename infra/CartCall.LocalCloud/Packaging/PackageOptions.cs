namespace CartCall.LocalCloud.Packaging;

/// <summary>What <see cref="FunctionPackage.BuildAsync"/> packs and where it writes the zip.</summary>
public sealed record PackageOptions
{
    /// <summary>The repository root: the folder with <c>host.json</c> and <c>functions/</c>.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Path of the zip to write; replaced if it exists. Its folder is created.</summary>
    public required string OutputZipPath { get; init; }

    /// <summary>
    /// An already published app folder to pack as <c>app/</c>. When set, <c>dotnet publish</c> is skipped
    /// (tests, or a CI step that published before).
    /// </summary>
    public string? PrebuiltAppDirectory { get; init; }

    /// <summary>The custom-handler project, relative to <see cref="RepositoryRoot"/>.</summary>
    public string AppProject { get; init; } = Path.Combine("functions", "CartCall.Functions");

    /// <summary>The folder of <c>&lt;FunctionName&gt;/function.json</c> folders, relative to <see cref="RepositoryRoot"/>.</summary>
    public string DefinitionsDirectory { get; init; } = Path.Combine("functions", "Definitions");

    /// <summary>Build configuration for <c>dotnet publish</c>.</summary>
    public string Configuration { get; init; } = "Release";

    /// <summary>Runtime identifier: Flex Consumption is Linux x64.</summary>
    public string RuntimeIdentifier { get; init; } = "linux-x64";

    /// <summary>The <c>dotnet</c> executable used to publish.</summary>
    public string DotnetPath { get; init; } = "dotnet";

    /// <summary>Longest a <c>dotnet publish</c> may run before it is stopped.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Checks the options; throws <see cref="ArgumentException"/> saying what is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(RepositoryRoot))
        {
            throw new ArgumentException("RepositoryRoot is required.", nameof(RepositoryRoot));
        }

        if (string.IsNullOrWhiteSpace(OutputZipPath))
        {
            throw new ArgumentException("OutputZipPath is required.", nameof(OutputZipPath));
        }

        if (PrebuiltAppDirectory is not null && string.IsNullOrWhiteSpace(PrebuiltAppDirectory))
        {
            throw new ArgumentException("PrebuiltAppDirectory, when given, must not be blank.", nameof(PrebuiltAppDirectory));
        }

        if (PublishTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("PublishTimeout must be positive.", nameof(PublishTimeout));
        }
    }
}
