namespace CartCall.LocalCloud.Packaging;

/// <summary>What <see cref="FunctionPackage.BuildAsync"/> packs and where it writes the zip.</summary>
public sealed record PackageOptions
{
    /// <summary>The repository root: the folder with <c>host.json</c> and <c>functions/</c>.</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Path of the zip to write; replaced if it exists. Its folder is created.</summary>
    public required string OutputZipPath { get; init; }

    /// <summary>
    /// An already published app folder (the <c>dotnet publish</c> output of <see cref="AppProject"/>) to pack. When
    /// set, <c>dotnet publish</c> is skipped.
    /// </summary>
    public string? PrebuiltAppDirectory { get; init; }

    /// <summary>The isolated worker project, relative to <see cref="RepositoryRoot"/>.</summary>
    public string AppProject { get; init; } = Path.Combine("functions", "CartCall.Functions");

    /// <summary>Build configuration for <c>dotnet publish</c>.</summary>
    public string Configuration { get; init; } = "Release";

    /// <summary>
    /// Runtime identifier, or null for a portable (RID-less) framework-dependent publish, which is what Flex Consumption's
    /// dotnet-isolated stack runs (<c>dotnet CartCall.Functions.dll</c>, as worker.config.json says) and what Core Tools
    /// deploys. Set <c>linux-x64</c> for ReadyToRun; the publish stays framework-dependent either way.
    /// </summary>
    public string? RuntimeIdentifier { get; init; }

    /// <summary>
    /// Publish what the last build of <see cref="Configuration"/> produced (<c>--no-build</c>) instead of building
    /// again: for tests and CI steps that built before.
    /// </summary>
    public bool NoBuild { get; init; }

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

        if (RuntimeIdentifier is not null && string.IsNullOrWhiteSpace(RuntimeIdentifier))
        {
            throw new ArgumentException("RuntimeIdentifier, when given, must not be blank.", nameof(RuntimeIdentifier));
        }

        if (PublishTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("PublishTimeout must be positive.", nameof(PublishTimeout));
        }
    }
}
