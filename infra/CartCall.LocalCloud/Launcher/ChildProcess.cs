using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CartCall.LocalCloud.Launcher;

/// <summary>What to start: the program, its arguments, its environment and where its output goes.</summary>
public sealed record ChildProcessSpec
{
    /// <summary>A short name for messages and log file names (e.g. <c>azurite</c>, <c>app</c>).</summary>
    public required string Name { get; init; }

    public required string FileName { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    public string? WorkingDirectory { get; init; }

    /// <summary>Added to (or overriding) the launcher's own environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Every output line (stdout and stderr) is appended here when set.</summary>
    public string? LogPath { get; init; }

    /// <summary>Called for every output line, e.g. to echo it on the console.</summary>
    public Action<string>? OnOutput { get; init; }
}

/// <summary>
/// A process the launcher started and owns. <see cref="StopAsync"/> asks it to stop (SIGTERM on Unix so the app and
/// Azurite shut down cleanly), then kills whatever is left of its tree, including grandchildren that outlived it:
/// nothing the launcher started survives it.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int RecentLineCount = 40;
    private readonly Process process;
    private readonly StreamWriter? log;
    private readonly Lock gate = new();
    private readonly Queue<string> recent = new();
    private readonly Action<string>? onOutput;
    private readonly TaskCompletionSource outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int stopped;

    private ChildProcess(string name, Process process, StreamWriter? log, Action<string>? onOutput)
    {
        Name = name;
        this.process = process;
        this.log = log;
        this.onOutput = onOutput;
        Id = process.Id;
        StartTimestamp = Stopwatch.GetTimestamp();
        // The Exited event, not WaitForExitAsync: the latter also waits for the output pipes to close, which a
        // grandchild holding them open would delay indefinitely.
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => exited.TrySetResult();
        if (process.HasExited)
        {
            exited.TrySetResult();
        }

        Exited = exited.Task;
    }

    public string Name { get; }

    public int Id { get; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> right after the process was created (start-up is measured from it).</summary>
    public long StartTimestamp { get; }

    /// <summary>Completes when the process exits.</summary>
    public Task Exited { get; }

    public bool HasExited => process.HasExited;

    public int? ExitCode => process.HasExited ? process.ExitCode : null;

    /// <summary>The last output lines, for error messages when a child fails to start.</summary>
    public IReadOnlyList<string> RecentOutput
    {
        get
        {
            lock (gate) return [.. recent];
        }
    }

    public static ChildProcess Start(ChildProcessSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // a child never reads the launcher's terminal (or Ctrl-C keys meant for it)
            UseShellExecute = false,
            WorkingDirectory = spec.WorkingDirectory ?? System.Environment.CurrentDirectory,
        };
        foreach (var argument in spec.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in spec.Environment)
        {
            psi.Environment[key] = value;
        }

        StreamWriter? log = null;
        if (spec.LogPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(spec.LogPath))!);
            log = new StreamWriter(new FileStream(spec.LogPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"{spec.Name}: '{spec.FileName}' did not start.");
        }
        catch
        {
            log?.Dispose();
            throw;
        }

        var child = new ChildProcess(spec.Name, process, log, spec.OnOutput);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child.outputClosed);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child.errorClosed);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Stops the process and everything it started: SIGTERM and up to <paramref name="grace"/> to exit, then SIGKILL
    /// for the process tree and for any descendant seen before the stop that is still alive. Safe to call twice.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1)
        {
            await Exited.ConfigureAwait(false);
            return;
        }

        // Children re-parented to init when their parent exits would be invisible afterwards: note them first.
        var descendants = ProcessTree.Descendants(Id);
        if (!process.HasExited)
        {
            if (OperatingSystem.IsWindows() || grace <= TimeSpan.Zero || !ProcessTree.Terminate(Id))
            {
                TryKillTree();
            }
            else
            {
                try
                {
                    await Exited.WaitAsync(grace, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is TimeoutException or OperationCanceledException)
                {
                    TryKillTree();
                }
            }
        }

        var leftovers = descendants.Where(ProcessTree.IsAlive).ToList();
        foreach (var pid in leftovers)
        {
            ProcessTree.Kill(pid);
        }

        // SIGKILL is delivered asynchronously: wait (bounded) until they are really gone.
        for (var i = 0; i < 100 && leftovers.Any(ProcessTree.IsAlive); i++)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{Name} (pid {Id}) did not exit after it was killed.");
        }

        // The exit is seen before the last lines are read: a child's last words ("stopping", from its SIGTERM handler)
        // are still in the pipe, and the readers deliver them on the thread pool. Wait until both pipes are closed, so
        // whoever stopped the child sees everything it printed. WaitForExit(timeout) does not wait for the readers.
        // Bounded, as a stray holder may keep a pipe open (its leftovers were killed above; the rest are not ours).
        try
        {
            await Task.WhenAll(outputClosed.Task, errorClosed.Task).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Something outside the tree holds the pipe; what was read so far is all there is.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        process.Dispose();
        lock (gate)
        {
            log?.Dispose();
        }
    }

    private void TryKillTree()
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void OnLine(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            // End of the stream: every line before it has been handled (the reader raises events in order).
            closed.TrySetResult();
            return;
        }

        lock (gate)
        {
            recent.Enqueue(line);
            while (recent.Count > RecentLineCount)
            {
                recent.Dequeue();
            }

            try
            {
                log?.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after dispose is dropped.
            }
        }

        onOutput?.Invoke(line);
    }
}

/// <summary>Process-tree helpers. Linux reads <c>/proc</c>; elsewhere only the .NET tree kill is used.</summary>
internal static class ProcessTree
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>All live descendants of <paramref name="root"/>, children before grandchildren.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            var parent = ParentOf(pid);
            if (parent is { } p)
            {
                if (!children.TryGetValue(p, out var list))
                {
                    children[p] = list = [];
                }

                list.Add(pid);
            }
        }

        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.Count > 0 && result.Count < 10_000)
        {
            if (children.TryGetValue(pending.Dequeue(), out var list))
            {
                foreach (var child in list)
                {
                    result.Add(child);
                    pending.Enqueue(child);
                }
            }
        }

        return result;
    }

    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            // A zombie has exited; only its parent's wait is missing.
            return ReadStat(pid) is { } stat && StateOf(stat) != 'Z';
        }

        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGTERM; false when signals are not available or the process is gone.</summary>
    public static bool Terminate(int pid) => !OperatingSystem.IsWindows() && SysKill(pid, SigTerm) == 0;

    public static void Kill(int pid)
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = SysKill(pid, SigKill);
            return;
        }

        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static int? ParentOf(int pid)
    {
        var stat = ReadStat(pid);
        if (stat is null)
        {
            return null;
        }

        // The command name may hold spaces and parentheses: fields start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : null;
    }

    private static char StateOf(string stat) => stat[stat.LastIndexOf(')') + 2];

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
