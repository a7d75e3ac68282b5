using System.Net;
using System.Net.Sockets;

namespace CartCall.LocalCloud.Launcher;

/// <summary>Port checks on 127.0.0.1: before binding (a clear message beats a bind error) and while waiting for a child.</summary>
public static class LoopbackPorts
{
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until every port accepts a connection; fails early if <paramref name="child"/> exits.</summary>
    public static async Task WaitListeningAsync(IEnumerable<int> ports, ChildProcess child, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(child);
        var deadline = DateTime.UtcNow + timeout;
        foreach (var port in ports)
        {
            while (true)
            {
                if (child.HasExited)
                {
                    throw new ChildFailedException(child, $"{child.Name} exited with code {child.ExitCode} before listening on {port}.");
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    throw new ChildFailedException(child, $"{child.Name} did not listen on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s ({e.SocketErrorCode}).");
                }
            }
        }
    }
}

/// <summary>A child process did not come up; carries its last output lines for the message.</summary>
public sealed class ChildFailedException(ChildProcess child, string message) : Exception(message)
{
    public IReadOnlyList<string> RecentOutput { get; } = child.RecentOutput;
}
