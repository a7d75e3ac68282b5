using System.Reflection;

namespace CartCall.LocalCloud.Launcher;

/// <summary>Where things are in a checkout: found by walking up to the folder holding <c>Functions.sln</c>.</summary>
public sealed class RepositoryLayout
{
    public const string SolutionFile = "Functions.sln";

    public RepositoryLayout(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string Infra => Path.Combine(Root, "infra");

    /// <summary><c>infra/.run</c>: Azurite's data, logs and this run's keys. Git-ignored; never committed.</summary>
    public string RunDirectory => Path.Combine(Infra, ".run");

    public string LogDirectory => Path.Combine(RunDirectory, "logs");

    public string AzuriteDataDirectory => Path.Combine(RunDirectory, "azurite");

    /// <summary>The running local cloud's URLs and keys, read by <c>simulate</c>.</summary>
    public string SessionFile => Path.Combine(RunDirectory, "local-cloud.json");

    public string NodeModules => Path.Combine(Infra, "node_modules");

    public string AzuriteScript => Path.Combine(NodeModules, "azurite", "dist", "src", "azurite.js");

    public string AppProject => Path.Combine(Root, "functions", "CartCall.Functions", "CartCall.Functions.csproj");

    public string ArtifactsDirectory => Path.Combine(Root, "artifacts");

    /// <summary>The app as <c>dotnet build</c> leaves it for <paramref name="configuration"/>.</summary>
    public string AppDll(string configuration) =>
        Path.Combine(Root, "functions", "CartCall.Functions", "bin", configuration, "net10.0", "CartCall.Functions.dll");

    /// <summary>Finds the repository from the working directory, else from where this program runs.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither is inside a checkout.</exception>
    public static RepositoryLayout Find(string? start = null)
    {
        foreach (var origin in new[] { start, Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            if (origin is null)
            {
                continue;
            }

            for (var dir = new DirectoryInfo(origin); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                {
                    return new RepositoryLayout(dir.FullName);
                }
            }
        }

        throw new DirectoryNotFoundException(
            $"{SolutionFile} was not found above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}'; run cartcall-local inside the repository.");
    }

    /// <summary>The build configuration this program was built with (Debug or Release): the app is taken from the same.</summary>
    public static string CurrentConfiguration =>
        typeof(RepositoryLayout).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Debug";
}
