using System.Net;
using System.Net.Sockets;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.LocalCloud.Launcher;

namespace CartCall.LocalCloud.Tests.Launcher;

public sealed class LauncherTests
{
    [Fact]
    public async Task Start_WithAPortInUse_FailsNamingThePort_BeforeStartingAnything()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var layout = new RepositoryLayout(Path.Combine(Path.GetTempPath(), "no-such-repo-" + Guid.NewGuid().ToString("N")));
        var options = new LauncherOptions { AppPort = port, BlobPort = LoopbackPorts.FreePort(), QueuePort = LoopbackPorts.FreePort(), TablePort = LoopbackPorts.FreePort() };

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalCloudHost.StartAsync(layout, options, _ => { }, CancellationToken.None));

        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(layout.RunDirectory));
    }

    [Fact]
    public void Options_RefuseTwoServicesOnOnePort_AndOutOfRangeValues()
    {
        var problems = new LauncherOptions { AppPort = 10000, AgentCount = -1, IdleReevaluationDelay = TimeSpan.FromMilliseconds(100) }.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Empty(new LauncherOptions().Validate());
    }

    [Fact]
    public void Secrets_AreFreshEachRun_AndShapedAsTheAppAndStandInsRequire()
    {
        var a = LocalSecrets.Generate();
        var b = LocalSecrets.Generate();

        Assert.NotEqual(a, b);
        Assert.Equal(32, Convert.FromBase64String(a.EventGridTopicKey).Length);
        Assert.Equal(32, Convert.FromBase64String(a.CookieSigningKey).Length);
        Assert.True(a.AdminKey.Length >= 16);
        Assert.True(a.MerchantSigningSecret.Length >= 16);
    }

    [Fact]
    public void DemoMerchant_PassesTheAppsMerchantValidation_AndIsOpenAllDay()
    {
        var merchant = AdminApiClient.DemoMerchant("demo", LocalSecrets.Generate().MerchantSigningSecret, new Uri("http://127.0.0.1:7104/"));

        Assert.Empty(MerchantValidator.Validate(merchant));
        Assert.Equal(["http://127.0.0.1:7104"], merchant.AllowedOrigins);
        var hours = merchant.ToPolicySettings().Hours;
        Assert.True(hours.IsOpen(new DateTimeOffset(2026, 1, 4, 3, 17, 0, TimeSpan.Zero)));
        Assert.True(hours.IsOpen(new DateTimeOffset(2026, 1, 7, 23, 59, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void DemoAgents_AreAvailable_WithE164Numbers_AndOnlyTheFirstAnswersInTheWorkspace()
    {
        var agents = AdminApiClient.DemoAgents(3);

        Assert.Equal(["agent-1", "agent-2", "agent-3"], agents.Select(a => a.Id));
        Assert.All(agents, a =>
        {
            Assert.True(a.Available);
            Assert.Matches(@"^\+1425555\d{4}$", a.PhoneNumber!);
        });
        Assert.Equal([AgentDevice.Browser, AgentDevice.Phone, AgentDevice.Phone], agents.Select(a => a.TakesCallsOn!.Value));
    }

    [Fact]
    public void AzuriteSpec_ListensOnLoopbackOnly_WithTelemetryOff()
    {
        var layout = new RepositoryLayout("/repo");

        var spec = AzuriteProcess.Spec(layout, 10000, 10001, 10002, "/repo/infra/.run/azurite", null);

        Assert.Equal("node", spec.FileName);
        Assert.Equal("/repo/infra/node_modules/azurite/dist/src/azurite.js", spec.Arguments[0]);
        Assert.Contains("--disableTelemetry", spec.Arguments);
        foreach (var host in new[] { "--blobHost", "--queueHost", "--tableHost" })
        {
            Assert.Equal("127.0.0.1", spec.Arguments[spec.Arguments.ToList().IndexOf(host) + 1]);
        }

        Assert.Equal("/repo/infra/.run/azurite", spec.Arguments[spec.Arguments.ToList().IndexOf("--location") + 1]);
        Assert.Contains("--inMemoryPersistence", AzuriteProcess.Spec(layout, 1, 2, 3, null, null).Arguments);
    }

    [Fact]
    public async Task SessionFile_IsOwnerOnly_AndIgnoredOnceItsLauncherIsGone()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cartcall-session-{Guid.NewGuid():N}", "local-cloud.json");
        try
        {
            var session = new LocalCloudSession(new Uri("http://127.0.0.1:7071/"), "demo", "whsec_x", "admin", null, Environment.ProcessId, DateTimeOffset.UtcNow);
            await session.WriteAsync(path, CancellationToken.None);

            Assert.Equal(session, LocalCloudSession.TryRead(path));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            await (session with { ProcessId = int.MaxValue - 7 }).WriteAsync(path, CancellationToken.None);
            Assert.Null(LocalCloudSession.TryRead(path));
            Assert.Null(LocalCloudSession.TryRead(path + ".missing"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Theory]
    [InlineData("90", 90_000)]
    [InlineData("90s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("00:01:30", 90_000)]
    public void Durations_ReadWhatPeopleType(string text, int milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5s")]
    [InlineData("0")]
    [InlineData("00:00:00")]
    public void Durations_RefuseNonsense(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Fact]
    public void Layout_IsFoundFromInsideTheRepository()
    {
        var layout = RepositoryLayout.Find(AppContext.BaseDirectory);

        Assert.True(File.Exists(Path.Combine(layout.Root, RepositoryLayout.SolutionFile)));
        Assert.True(File.Exists(Path.Combine(layout.Infra, "package.json")));
    }
}
