using System.Globalization;
using CartCall.Domain.Hooks;
using CartCall.Functions.Features.Hooks;
using static CartCall.Functions.Tests.Features.Hooks.HookTestSupport;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>The process runner with real programs: the shipped sample and a test program with scripted behaviours.</summary>
public sealed class ProcessHookRunnerTests
{
    private static Task<HookAttemptResult> Run(ProcessHookRunner runner, string executable, int timeoutMs = 5_000, string key = "hk_proc") =>
        runner.RunAsync(Invocation(Hook(HookKind.Process, executable, timeoutMs), key: key), CancellationToken.None);

    [Fact]
    public async Task SampleHook_ReadsTheEventFromStdin_AndAnswers()
    {
        using var runner = ProcessRunner(Options(configure: o => o.Processes.Executables["sample"].Environment["SENIOR_AGENT_ID"] = "agent-senior"));

        var result = await Run(runner, "sample");

        Assert.Equal(HookOutcomeKind.Answered, result.Kind);
        Assert.Equal(HookAction.Route, result.Answer!.Action);
        Assert.Equal("agent-senior", result.Answer.AgentId);
        Assert.Equal("gold", result.Answer.Data["tier"]);
        Assert.Equal("612.50", result.Answer.Data["cartValue"]);
        Assert.NotNull(result.DispatchOverhead);
    }

    [Fact]
    public async Task SampleHook_ShopperOnTheDoNotCallList_IsVetoedWithItsSentence()
    {
        var list = Path.GetTempFileName();
        await File.WriteAllTextAsync(list, "someone-else\nshopper-1\n");
        try
        {
            using var runner = ProcessRunner(Options(configure: o => o.Processes.Executables["sample"].Environment["DO_NOT_CALL_FILE"] = list));

            var result = await Run(runner, "sample");

            Assert.Equal(HookAction.Veto, result.Answer!.Action);
            Assert.StartsWith("You asked us not to call you", result.Answer.Reason, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(list);
        }
    }

    [Fact]
    public async Task Stdin_CarriesTheCloudEvent_AndTheKeyAndAttemptAreInTheEnvironment()
    {
        using var runner = ProcessRunner();
        Assert.Equal("hk_stdin", (await Run(runner, "echo-id", key: "hk_stdin")).Answer!.Data["id"]);

        var answer = (await runner.RunAsync(Invocation(Hook(HookKind.Process, "answer"), attempt: 3, key: "hk_env"), CancellationToken.None)).Answer!;
        Assert.Equal("3", answer.Data["attempt"]);
        Assert.Equal("hk_env", answer.Data["key"]);
    }

    [Theory]
    [InlineData("veto", HookOutcomeKind.Answered, false, "exit 10")]
    [InlineData("tempfail", HookOutcomeKind.Failed, true, "exit 75")]
    [InlineData("fail", HookOutcomeKind.Failed, false, "exit 3")]
    [InlineData("garbage", HookOutcomeKind.InvalidOutput, false, "exit 0")]
    [InlineData("unknown-action", HookOutcomeKind.InvalidOutput, false, "exit 0")]
    [InlineData("huge", HookOutcomeKind.InvalidOutput, false, "output-cap")]
    [InlineData("ignore-stdin", HookOutcomeKind.Answered, false, "exit 0")]
    public async Task ExitCodesAndOutput_MapToTheirDocumentedOutcomes(string mode, HookOutcomeKind kind, bool transient, string status)
    {
        using var runner = ProcessRunner();

        var result = await Run(runner, mode);

        Assert.Equal(kind, result.Kind);
        Assert.Equal(transient, result.Transient);
        Assert.Equal(status, result.LastStatus);
    }

    [Fact]
    public async Task Veto_TakesTheReasonFromStdout_AndFailure_TakesTheErrorFromStderr()
    {
        using var runner = ProcessRunner();
        Assert.Equal("Not today, thank you.", (await Run(runner, "veto")).Answer!.Reason);
        Assert.Contains("cannot parse licence file", (await Run(runner, "fail")).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProgramThatDoesNotReadALargeEvent_DoesNotBreakTheRunner()
    {
        using var runner = ProcessRunner();
        var big = Invocation(Hook(HookKind.Process, "ignore-stdin")) with { Payload = new byte[200_000] };

        Assert.Equal(HookOutcomeKind.Answered, (await runner.RunAsync(big, CancellationToken.None)).Kind);
    }

    [Fact]
    public async Task Environment_IsScrubbedToWhatIsConfigured()
    {
        Environment.SetEnvironmentVariable("CARTCALL_TEST_SECRET", "storage-key-that-must-not-leak");
        using var runner = ProcessRunner(Options(configure: o => o.Processes.Executables["env"].Environment["GREETING"] = "hello"));

        var data = (await Run(runner, "env")).Answer!.Data;

        Assert.Equal("", data["secret"]);
        Assert.Equal("hello", data["greeting"]);
        Assert.Equal("h1", data["hook"]);
    }

    [Fact]
    public async Task NotAllowListed_IsAPermanentFailure_AndNothingRuns()
    {
        using var runner = ProcessRunner();

        var result = await Run(runner, "/bin/sh");

        Assert.Equal("not-allowed", result.LastStatus);
        Assert.False(result.Transient);
    }

    [Fact]
    public async Task Timeout_KillsTheWholeProcessGroup_AndLeavesNoProcessBehind()
    {
        var marker = "hang-" + Guid.NewGuid().ToString("N");
        using var runner = ProcessRunner(Options(configure: o => o.Processes.Executables["hang-tree"].Environment["TEST_MARKER"] = marker));

        var run = Run(runner, "hang-tree", timeoutMs: 3_000);

        // The hook, its child and its reparented grandchild all carry the marker; seeing them proves the scan works.
        var seen = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(3); !run.IsCompleted && DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            seen = Math.Max(seen, ProcessTable.WithEnvironment("TEST_MARKER=" + marker).Count);
        }

        var result = await run;
        Assert.Equal(HookOutcomeKind.TimedOut, result.Kind);
        Assert.True(result.Transient);
        Assert.True(seen >= 3, $"expected the hook and its descendants in /proc, saw {seen}");
        Assert.Empty(ProcessTable.WithEnvironment("TEST_MARKER=" + marker));
    }

    [Fact]
    public async Task FiftyAtOnce_AllAnswer_AndNoMoreThanTheLimitRunTogether()
    {
        const int limit = 5;
        var log = Path.GetTempFileName();
        try
        {
            using var runner = ProcessRunner(Options(maxProcesses: limit, configure: o => o.Processes.Executables["overlap"].Environment["OVERLAP_LOG"] = log));

            var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Run(runner, "overlap", timeoutMs: 30_000, key: $"hk_{i}")));

            Assert.All(results, r => Assert.Equal(HookOutcomeKind.Answered, r.Kind));
            var peak = PeakOverlap(await File.ReadAllLinesAsync(log));
            Assert.InRange(peak, 2, limit); // in parallel, and never more than the limit (as the programs themselves saw it)
            Assert.InRange(runner.PeakRunning, 2, limit);
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static int PeakOverlap(IEnumerable<string> lines)
    {
        var events = lines.Select(l => l.Split(' ')).Where(p => p.Length == 2)
            .Select(p => (Time: decimal.Parse(p[1], CultureInfo.InvariantCulture), Delta: p[0] == "start" ? 1 : -1))
            .OrderBy(e => e.Time).ThenBy(e => e.Delta); // an end before a start at the same instant
        int running = 0, peak = 0, starts = 0;
        foreach (var (_, delta) in events)
        {
            running += delta;
            starts += delta > 0 ? 1 : 0;
            peak = Math.Max(peak, running);
        }

        Assert.Equal(50, starts);
        return peak;
    }
}

/// <summary>Reads the process table (/proc) the way ps does.</summary>
internal static class ProcessTable
{
    public static IReadOnlyList<int> WithEnvironment(string entry)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                // Zombies have an empty environ; only live processes count.
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains(entry, StringComparer.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }
}
