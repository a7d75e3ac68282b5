using System.Globalization;

namespace CartCall.LocalCloud.Launcher;

/// <summary>Azurite (npm) as a child process on 127.0.0.1, telemetry off, data under <c>infra/.run/azurite</c>.</summary>
public static class AzuriteProcess
{
    /// <summary>Azurite's well-known development account; the emulator accepts nothing else.</summary>
    public const string AccountName = "devstoreaccount1";

    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string ConnectionString(int blobPort, int queuePort, int tablePort) =>
        string.Create(CultureInfo.InvariantCulture,
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};");

    /// <summary>The command line the launcher runs (also what a developer would type).</summary>
    public static ChildProcessSpec Spec(RepositoryLayout layout, int blobPort, int queuePort, int tablePort, string? dataDirectory, string? logPath)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var args = new List<string>
        {
            layout.AzuriteScript, "--disableTelemetry", "--silent", "--skipApiVersionCheck", "--loose",
            "--blobHost", "127.0.0.1", "--blobPort", Invariant(blobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Invariant(queuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Invariant(tablePort),
        };
        if (dataDirectory is null)
        {
            args.Add("--inMemoryPersistence");
        }
        else
        {
            args.Add("--location");
            args.Add(dataDirectory);
        }

        return new ChildProcessSpec
        {
            Name = "azurite",
            FileName = "node",
            Arguments = args,
            WorkingDirectory = layout.Infra,
            LogPath = logPath,
        };
    }

    /// <summary>Installs Azurite if needed, starts it and waits until its three ports listen.</summary>
    public static async Task<ChildProcess> StartAsync(
        RepositoryLayout layout, int blobPort, int queuePort, int tablePort, string? dataDirectory, string? logPath,
        Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        await NodePackages.EnsureAsync(layout, "azurite", report, cancellationToken).ConfigureAwait(false);
        if (dataDirectory is not null)
        {
            Directory.CreateDirectory(dataDirectory);
        }

        var child = ChildProcess.Start(Spec(layout, blobPort, queuePort, tablePort, dataDirectory, logPath));
        try
        {
            await LoopbackPorts.WaitListeningAsync([blobPort, queuePort, tablePort], child, TimeSpan.FromSeconds(30), cancellationToken)
                .ConfigureAwait(false);
            return child;
        }
        catch
        {
            await child.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
