using System.Text.Json;

namespace CartCall.LocalCloud.Launcher;

/// <summary>
/// What a running <c>cartcall-local up</c> tells other commands (the simulator): where the app is and the demo
/// merchant's keys. Written to <c>infra/.run/local-cloud.json</c> (git-ignored, owner-only) and removed on stop.
/// </summary>
public sealed record LocalCloudSession(
    Uri AppUrl, string MerchantId, string MerchantSigningSecret, string AdminKey, Uri? StorefrontUrl, int ProcessId, DateTimeOffset StartedAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var stream = new FileStream(path, options);
        await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The session of a launcher that is still running, or null.</summary>
    public static LocalCloudSession? TryRead(string path)
    {
        try
        {
            var session = JsonSerializer.Deserialize<LocalCloudSession>(File.ReadAllText(path), Json);
            return session is not null && ProcessTree.IsAlive(session.ProcessId) ? session : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
