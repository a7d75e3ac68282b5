using System.Globalization;
using CartCall.LocalCloud.Launcher;

namespace CartCall.LocalCloud.Tests.Launcher;

/// <summary>The launcher's stop: nothing it started may outlive it. Uses sh and sleep as harmless children.</summary>
public sealed class ChildProcessTests
{
    private static async Task<int> WaitForPidLineAsync(ChildProcess child)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            foreach (var line in child.RecentOutput)
            {
                if (line.StartsWith("pid ", StringComparison.Ordinal))
                {
                    return int.Parse(line[4..], CultureInfo.InvariantCulture);
                }
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static ChildProcess Shell(string script, string? logPath = null) =>
        ChildProcess.Start(new ChildProcessSpec { Name = "shell", FileName = "/bin/sh", Arguments = ["-c", script], LogPath = logPath });

    [Fact]
    public async Task Stop_EndsTheChild_AndTheGrandchildItLeftRunning()
    {
        // sh dies on SIGTERM while waiting; its background sleep would be re-parented to init and live on.
        await using var child = Shell("sleep 300 & echo pid $!; wait");
        var grandchild = await WaitForPidLineAsync(child);
        Assert.True(ProcessTree.IsAlive(grandchild));

        await child.StopAsync(TimeSpan.FromSeconds(5));

        Assert.True(child.HasExited);
        Assert.False(ProcessTree.IsAlive(grandchild), $"grandchild {grandchild} outlived the stop");
    }

    [Fact]
    public async Task Stop_KillsAChildThatIgnoresSigterm_AfterTheGracePeriod()
    {
        // An ignored signal stays ignored in the children too: neither sh nor sleep will go on SIGTERM.
        await using var child = Shell("trap '' TERM; sleep 300 & echo pid $!; wait");
        var grandchild = await WaitForPidLineAsync(child);

        await child.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.True(child.HasExited);
        Assert.False(ProcessTree.IsAlive(grandchild));
    }

    [Fact]
    public async Task Stop_LetsAChildExitCleanlyOnSigterm()
    {
        await using var child = Shell("trap 'echo stopping; exit 0' TERM; echo pid $$; while true; do sleep 0.1; done");
        await WaitForPidLineAsync(child);

        await child.StopAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, child.ExitCode);
        Assert.Contains("stopping", child.RecentOutput);
    }

    [Fact]
    public async Task Stop_ReturnsOnlyOnceTheChildsLastWordsAreRead()
    {
        // The flake in Stop_LetsAChildExitCleanlyOnSigterm: the handler's "stopping" was written, the exit was seen, and
        // the stop returned before the reader had delivered the line. Here the reader is made slow (a line handler
        // that takes 5 ms) and the handler writes 300 lines before its last one, so the exit always comes long before
        // the last line is read: the stop must still see it.
        await using var child = ChildProcess.Start(new ChildProcessSpec
        {
            Name = "shell",
            FileName = "/bin/sh",
            Arguments = ["-c", "trap 'seq 1 300; echo stopping; exit 0' TERM; echo pid $$; while true; do sleep 0.1; done"],
            OnOutput = _ => Thread.Sleep(5),
        });
        await WaitForPidLineAsync(child);

        await child.StopAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, child.ExitCode);
        Assert.Equal("stopping", child.RecentOutput[^1]);
        Assert.Equal("300", child.RecentOutput[^2]);
    }

    [Fact]
    public async Task Stop_IsSafeTwice_AndAfterTheChildExitedOnItsOwn()
    {
        await using var child = Shell("echo pid $$; exit 3");
        await child.Exited.WaitAsync(TimeSpan.FromSeconds(20));

        await child.StopAsync(TimeSpan.FromSeconds(1));
        await child.StopAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(3, child.ExitCode);
    }

    [Fact]
    public async Task Output_GoesToTheLogFile_AndTheRecentLines()
    {
        var log = Path.Combine(Path.GetTempPath(), $"cartcall-child-{Guid.NewGuid():N}.log");
        try
        {
            await using (var child = Shell("echo one; echo two >&2; echo pid $$", log))
            {
                await child.Exited.WaitAsync(TimeSpan.FromSeconds(20));
                await child.StopAsync(TimeSpan.FromSeconds(1));
                Assert.Contains("one", child.RecentOutput);
                Assert.Contains("two", child.RecentOutput);
            }

            var lines = await File.ReadAllLinesAsync(log);
            Assert.Contains("one", lines);
            Assert.Contains("two", lines);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Spec_Environment_ReachesTheChild()
    {
        await using var child = ChildProcess.Start(new ChildProcessSpec
        {
            Name = "env",
            FileName = "/bin/sh",
            Arguments = ["-c", "echo \"value=$CARTCALL_TEST_VALUE\""],
            Environment = new Dictionary<string, string> { ["CARTCALL_TEST_VALUE"] = "from-the-launcher" },
        });
        await child.Exited.WaitAsync(TimeSpan.FromSeconds(20));
        await child.StopAsync(TimeSpan.FromSeconds(1));

        Assert.Contains("value=from-the-launcher", child.RecentOutput);
    }
}
