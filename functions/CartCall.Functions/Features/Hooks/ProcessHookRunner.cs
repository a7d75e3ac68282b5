using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using CartCall.Domain.Hooks;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Hooks;

/// <summary>
/// Runs process hooks (AGI-style): an allow-listed executable is started with the event (the same CloudEvent JSON a
/// webhook receives) on standard input and answers on standard output. Exit codes:
/// <list type="table">
/// <item><term>0</term><description>the answer is on stdout (JSON; empty = continue)</description></item>
/// <item><term>10</term><description>veto; the shopper-facing reason is stdout's first line (or a JSON answer's reason)</description></item>
/// <item><term>75</term><description>temporary failure (EX_TEMPFAIL): retried under the hook's policy</description></item>
/// <item><term>other</term><description>permanent failure (stderr's start is kept as the error)</description></item>
/// </list>
/// A timeout kills the whole process group (each hook runs in its own session via <c>setsid</c>), and any process
/// the hook left behind is killed when it exits. Output is capped; the environment is only what is configured.
/// At most <see cref="ProcessHookOptions.MaxConcurrentProcesses"/> run at once on this instance.
/// </summary>
public sealed partial class ProcessHookRunner : IHookRunner, IDisposable
{
    public const int ExitAnswer = 0;
    public const int ExitVeto = 10;
    public const int ExitTemporaryFailure = 75;

    private static readonly TimeSpan ReapTimeout = TimeSpan.FromSeconds(5);
    private readonly ProcessHookOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ProcessHookRunner> logger;
    private readonly SemaphoreSlim slots;
    private readonly string? groupLauncher;
    private int running;
    private int peakRunning;

    public ProcessHookRunner(IOptions<HooksOptions> options, TimeProvider time, ILogger<ProcessHookRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value.Processes;
        this.time = time;
        this.logger = logger;
        slots = new SemaphoreSlim(this.options.MaxConcurrentProcesses, this.options.MaxConcurrentProcesses);
        groupLauncher = !OperatingSystem.IsWindows() && this.options.ProcessGroupLauncher is { } launcher && File.Exists(launcher) ? launcher : null;
    }

    public HookKind Kind => HookKind.Process;

    /// <summary>The most hook processes this runner has had running at once (for tests and measurements).</summary>
    public int PeakRunning => Volatile.Read(ref peakRunning);

    public IReadOnlyCollection<string> AllowedExecutables => options.Executables.Keys;

    public async Task<HookAttemptResult> RunAsync(HookInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var started = time.GetTimestamp();
        if (!options.Executables.TryGetValue(invocation.Hook.Target, out var executable))
        {
            return Result(started, HookOutcomeKind.Failed, false, "not-allowed",
                $"'{invocation.Hook.Target}' is not an allow-listed executable on this deployment.");
        }

        // Waiting for a slot is bounded by the hook's timeout too: a queue is no excuse for a late answer.
        if (!await slots.WaitAsync(invocation.Hook.Timeout, cancellationToken).ConfigureAwait(false))
        {
            return Result(started, HookOutcomeKind.TimedOut, true, "no-slot",
                $"No free process slot within {invocation.Hook.Timeout.TotalMilliseconds:0} ms ({options.MaxConcurrentProcesses} run at once).");
        }

        var now = Interlocked.Increment(ref running);
        for (var peak = Volatile.Read(ref peakRunning); now > peak && Interlocked.CompareExchange(ref peakRunning, now, peak) != peak; peak = Volatile.Read(ref peakRunning))
        {
        }

        try
        {
            return await RunProcessAsync(invocation, executable, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref running);
            slots.Release();
        }
    }

    private async Task<HookAttemptResult> RunProcessAsync(HookInvocation invocation, HookExecutable executable, long started, CancellationToken cancellationToken)
    {
        var psi = StartInfo(invocation, executable);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return Result(started, HookOutcomeKind.Failed, false, "not-started", $"The program could not be started: {e.Message}");
        }

        var startedAt = time.GetTimestamp();
        var group = process.Id; // with setsid, the hook leads its own process group
        using var deadline = new CancellationTokenSource(invocation.Hook.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var overflow = new CancellationTokenSource();

        var stdout = ReadCappedAsync(process.StandardOutput.BaseStream, options.MaxOutputBytes, overflow, keepDraining: false);
        var stderr = ReadCappedAsync(process.StandardError.BaseStream, options.MaxErrorBytes, null, keepDraining: true);
        var stdin = WriteInputAsync(process.StandardInput.BaseStream, invocation.Payload);

        bool exited;
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(linked.Token, overflow.Token))
        {
            try
            {
                await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
                exited = true;
            }
            catch (OperationCanceledException)
            {
                exited = false;
            }
        }

        // Whatever happened, nothing of this hook outlives this call: its group goes, including children it
        // left running in the background after exiting.
        Kill(process, group);
        if (!exited)
        {
            await WaitReapedAsync(process).ConfigureAwait(false);
        }

        await stdin.ConfigureAwait(false);
        var (output, outputTooLong) = await Bounded(stdout).ConfigureAwait(false);
        var (errors, _) = await Bounded(stderr).ConfigureAwait(false);
        var errorText = errors.Length == 0 ? "" : ": " + Encoding.UTF8.GetString(errors).Trim().ReplaceLineEndings(" ");
        var dispatched = time.GetElapsedTime(started, startedAt);

        cancellationToken.ThrowIfCancellationRequested();
        if (outputTooLong)
        {
            LogKilled(invocation.Hook.MerchantId, invocation.Hook.HookId, "output over the cap");
            return Result(started, HookOutcomeKind.InvalidOutput, false, "output-cap",
                $"The program wrote more than {options.MaxOutputBytes} bytes to stdout and was killed.", dispatched: dispatched);
        }

        if (!exited)
        {
            LogKilled(invocation.Hook.MerchantId, invocation.Hook.HookId, "timeout");
            return Result(started, HookOutcomeKind.TimedOut, true, "timeout",
                $"No answer within {invocation.Hook.Timeout.TotalMilliseconds:0} ms; the process group was killed.", dispatched: dispatched);
        }

        var code = process.ExitCode;
        var status = "exit " + code.ToString(CultureInfo.InvariantCulture);
        switch (code)
        {
            case ExitAnswer:
                var (answer, problem) = HookAnswerParser.Parse(output);
                return answer is null
                    ? Result(started, HookOutcomeKind.InvalidOutput, false, status, "Invalid answer: " + problem, dispatched: dispatched)
                    : Result(started, HookOutcomeKind.Answered, false, status, null, answer, dispatched);
            case ExitVeto:
                var veto = VetoFrom(output);
                return veto is null
                    ? Result(started, HookOutcomeKind.InvalidOutput, false, status,
                        $"Exit {ExitVeto} (veto) needs the shopper-facing reason on stdout's first line (at most {HookBounds.MaxReasonLength} characters).", dispatched: dispatched)
                    : Result(started, HookOutcomeKind.Answered, false, status, null, veto, dispatched);
            case ExitTemporaryFailure:
                return Result(started, HookOutcomeKind.Failed, true, status, "Temporary failure" + errorText, dispatched: dispatched);
            default:
                return Result(started, HookOutcomeKind.Failed, false, status, $"Failed with exit code {code}{errorText}", dispatched: dispatched);
        }
    }

    private ProcessStartInfo StartInfo(HookInvocation invocation, HookExecutable executable)
    {
        var psi = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = executable.WorkingDirectory ?? Path.GetTempPath(),
        };
        if (groupLauncher is not null)
        {
            psi.FileName = groupLauncher;
            psi.ArgumentList.Add(executable.Path);
        }
        else
        {
            psi.FileName = executable.Path;
        }

        foreach (var argument in executable.Arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        // Scrubbed: the app's environment holds storage keys and secrets; the hook gets only what is configured.
        psi.Environment.Clear();
        foreach (var (name, value) in executable.Environment)
        {
            psi.Environment[name] = value;
        }

        psi.Environment["CARTCALL_HOOK_ID"] = invocation.Hook.HookId;
        psi.Environment["CARTCALL_HOOK_POINT"] = invocation.Point;
        psi.Environment["CARTCALL_MERCHANT_ID"] = invocation.Hook.MerchantId;
        psi.Environment["CARTCALL_IDEMPOTENCY_KEY"] = invocation.IdempotencyKey;
        psi.Environment["CARTCALL_ATTEMPT"] = invocation.Attempt.ToString(CultureInfo.InvariantCulture);
        psi.Environment["CARTCALL_TIMEOUT_MS"] = invocation.Hook.Timeout.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        return psi;
    }

    private static HookAnswer? VetoFrom(byte[] output)
    {
        var (answer, _) = HookAnswerParser.Parse(output);
        if (answer is { Action: HookAction.Veto })
        {
            return answer;
        }

        var text = Encoding.UTF8.GetString(output);
        var firstLine = text.Split('\n', 2)[0].Trim();
        return firstLine.Length is > 0 and <= HookBounds.MaxReasonLength && !firstLine.StartsWith('{') ? HookAnswer.Veto(firstLine) : null;
    }

    private static async Task WriteInputAsync(Stream stdin, ReadOnlyMemory<byte> payload)
    {
        try
        {
            await using (stdin.ConfigureAwait(false))
            {
                await stdin.WriteAsync(payload).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The program exited or closed stdin without reading it all; its exit code says how it went.
        }
    }

    /// <summary>
    /// Reads up to <paramref name="cap"/> bytes. Past the cap: with <paramref name="overflow"/>, signal it (the caller
    /// kills the process); with <paramref name="keepDraining"/>, read and drop the rest so the program never blocks.
    /// </summary>
    private static async Task<(byte[] Bytes, bool TooLong)> ReadCappedAsync(Stream stream, int cap, CancellationTokenSource? overflow, bool keepDraining)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(cap + 1);
        var scratch = keepDraining ? ArrayPool<byte>.Shared.Rent(4_096) : null;
        try
        {
            var total = 0;
            int read;
            while (total <= cap && (read = await stream.ReadAsync(buffer.AsMemory(total, cap + 1 - total)).ConfigureAwait(false)) > 0)
            {
                total += read;
            }

            var tooLong = total > cap;
            if (tooLong && scratch is not null)
            {
                while (await stream.ReadAsync(scratch).ConfigureAwait(false) > 0)
                {
                }
            }
            else if (tooLong && overflow is not null)
            {
                await overflow.CancelAsync().ConfigureAwait(false);
            }

            return (buffer.AsSpan(0, Math.Min(total, cap)).ToArray(), tooLong);
        }
        catch (IOException)
        {
            return ([], false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>The readers end when the pipes close, which killing the group ensures; bounded all the same.</summary>
    private static async Task<(byte[], bool)> Bounded(Task<(byte[] Bytes, bool TooLong)> reader)
    {
        var finished = await Task.WhenAny(reader, Task.Delay(ReapTimeout)).ConfigureAwait(false);
        return finished == reader ? await reader.ConfigureAwait(false) : ([], false);
    }

    private void Kill(Process process, int group)
    {
        if (groupLauncher is not null)
        {
            // Signal the whole group: children and grandchildren, even ones reparented after a double fork.
            _ = NativeSignals.Kill(-group, NativeSignals.SigKill);
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    private static async Task WaitReapedAsync(Process process)
    {
        using var bound = new CancellationTokenSource(ReapTimeout);
        try
        {
            await process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Reported as the timeout it is; the kill has been sent.
        }
    }

    private HookAttemptResult Result(
        long started, HookOutcomeKind kind, bool transient, string status, string? error, HookAnswer? answer = null, TimeSpan? dispatched = null) =>
        new(kind, answer, transient, null, status, error, time.GetElapsedTime(started), dispatched);

    public void Dispose() => slots.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hook {HookId} of merchant {MerchantId}: process group killed ({Why})")]
    private partial void LogKilled(string merchantId, string hookId, string why);

    private static class NativeSignals
    {
        public const int SigKill = 9;

        // Blittable and without SetLastError, so a plain DllImport needs no unsafe code; a failure (the group
        // is already gone) is fine to ignore.
        [DllImport("libc", EntryPoint = "kill")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
