using System.Net;
using System.Text;
using Azure.Storage.Queues;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.LocalCloud.FunctionsHost.Rpc;
using CartCall.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Tests.FunctionsHost;

/// <summary>
/// The local Functions host against a worker the test plays over the real gRPC protocol: what it serves, how it
/// settles queue messages as host.json says, its timers, and how it survives a worker that dies.
/// </summary>
[Collection(FunctionsHostCollection.Name)]
public sealed class LocalFunctionsHostTests(FunctionsHostFixture fixture)
{
    private static object Queue(string name, string queue) => new { name, type = "queueTrigger", direction = "In", queueName = queue, dataType = "String" };

    private LocalFunctionsHostOptions Options(IWorkerLauncher worker, string hostJson) => new()
    {
        AppDirectory = fixture.AppDirectory(hostJson),
        Launcher = worker,
        Settings = new Dictionary<string, string> { ["AzureWebJobsStorage"] = fixture.Storage.ConnectionString },
        QueuePollingInterval = TimeSpan.FromMilliseconds(50),
    };

    private const string QuickRetries = """
        { "version": "2.0", "extensions": { "queues": { "batchSize": 4, "visibilityTimeout": "00:00:00", "maxDequeueCount": 3, "messageEncoding": "base64" } } }
        """;

    [Fact]
    public async Task StartUp_FailsAndNamesEveryFunctionWithABindingItCannotServe()
    {
        var worker = new FakeWorker(
            new FakeFunction("Fine", Queue("message", "fine")),
            new FakeFunction("OnBlob", new { name = "blob", type = "blobTrigger", direction = "In", path = "in/{name}" }),
            new FakeFunction("ToServiceBus", Queue("message", "out"), new { name = "out", type = "serviceBus", direction = "Out", queueName = "sb" }));

        var failure = await Assert.ThrowsAsync<WorkerStartupException>(() => LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None));

        Assert.Contains("OnBlob", failure.Message);
        Assert.Contains("blobTrigger", failure.Message);
        Assert.Contains("ToServiceBus", failure.Message);
        Assert.Contains("serviceBus", failure.Message);
        Assert.DoesNotContain("Fine", failure.Message);
    }

    [Fact]
    public async Task QueueMessage_ThatFailsTwice_IsRetriedWithItsDequeueCount_ThenDeleted()
    {
        var queue = "retry-" + Guid.NewGuid().ToString("N")[..8];
        var worker = new FakeWorker(new FakeFunction("Work", Queue("message", queue)));
        worker.Invoke = r => worker.Invocations.Count <= 2 ? FakeWorker.Failure(r, "not yet") : FakeWorker.Success(r);
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);

        await fixture.SendAsync(queue, "{\"n\":1}");

        await Eventually.TrueAsync(async () => worker.Invocations.Count >= 3 && await fixture.CountAsync(queue) == 0, "the message completed on its third try");
        Assert.Equal(["1", "2", "3"], worker.Invocations.Select(i => i.TriggerMetadata["DequeueCount"].Json));
        Assert.All(worker.Invocations, i => Assert.Equal("{\"n\":1}", i.InputData.Single(d => d.Name == "message").Data.String));
        Assert.Equal(0, await fixture.CountAsync(queue + "-poison"));
    }

    [Fact]
    public async Task QueueMessage_ThatAlwaysFails_IsPoisonedAfterMaxDequeueCount()
    {
        var queue = "poison-" + Guid.NewGuid().ToString("N")[..8];
        var worker = new FakeWorker(new FakeFunction("Work", Queue("message", queue))) { Invoke = r => FakeWorker.Failure(r, "broken") };
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);

        await fixture.SendAsync(queue, "doomed");

        await Eventually.TrueAsync(async () => await fixture.CountAsync(queue + "-poison") == 1, "the message moved to the poison queue");
        Assert.Equal(3, worker.Invocations.Count);
        Assert.Equal(0, await fixture.CountAsync(queue));
    }

    [Fact]
    public async Task QueueMessage_ThatIsNotBase64_IsPoisonedWithoutBeingInvoked()
    {
        var queue = "raw-" + Guid.NewGuid().ToString("N")[..8];
        var worker = new FakeWorker(new FakeFunction("Work", Queue("message", queue)));
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);

        await fixture.SendAsync(queue, "not base64 at all!", base64: false);

        await Eventually.TrueAsync(async () => await fixture.CountAsync(queue + "-poison") == 1, "the undecodable message was poisoned");
        Assert.Empty(worker.Invocations);
    }

    [Fact]
    public async Task TimerTrigger_FiresOnItsSchedule_WithTimerInfo()
    {
        var worker = new FakeWorker(new FakeFunction("Tick", new { name = "timer", type = "timerTrigger", direction = "In", schedule = "*/1 * * * * *" }));
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);

        await Eventually.TrueAsync(() => Task.FromResult(worker.Invocations.Count >= 2), "two ticks", TimeSpan.FromSeconds(10));
        var info = worker.Invocations[0].InputData.Single(d => d.Name == "timer").Data.Json;
        Assert.Contains("\"IsPastDue\":false", info);
        Assert.Contains("ScheduleStatus", info);
    }

    [Fact]
    public async Task TimerFunction_RunByHand_ThroughTheAdminApi_IsAccepted_AndRunsOnce_OffItsSchedule()
    {
        var worker = new FakeWorker(
            new FakeFunction("Nightly", new { name = "timer", type = "timerTrigger", direction = "In", schedule = "0 30 2 * * *" }),
            new FakeFunction("Work", Queue("message", "byhand-" + Guid.NewGuid().ToString("N")[..8])));
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };

        var run = await client.PostAsync("/admin/functions/Nightly", new StringContent("""{"input":""}""", System.Text.Encoding.UTF8, "application/json"));
        var queue = await client.PostAsync("/admin/functions/Work", new StringContent("""{"input":"x"}""", System.Text.Encoding.UTF8, "application/json"));
        var unknown = await client.PostAsync("/admin/functions/NoSuchFunction", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Accepted, run.StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(worker.Invocations.Count == 1), "the run by hand", TimeSpan.FromSeconds(10));
        Assert.Equal("id-Nightly", worker.Invocations[0].FunctionId);
        Assert.Contains("\"IsPastDue\":false", worker.Invocations[0].InputData.Single(d => d.Name == "timer").Data.Json, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, queue.StatusCode);
        Assert.Equal("application/problem+json", queue.Content.Headers.ContentType?.MediaType);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        await Task.Delay(500);
        Assert.Single(worker.Invocations);
    }

    [Fact]
    public async Task WorkerThatDies_IsRestarted_AndQueueWorkGoesOn()
    {
        var queue = "restart-" + Guid.NewGuid().ToString("N")[..8];
        var worker = new FakeWorker(new FakeFunction("Work", Queue("message", queue)));
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);

        worker.Current!.Kill();
        await Eventually.TrueAsync(() => Task.FromResult(worker.Started == 2 && host.Supervisor.Current?.Generation == 2), "a second worker");
        await fixture.SendAsync(queue, "after the restart");

        await Eventually.TrueAsync(async () => worker.Invocations.Count == 1 && await fixture.CountAsync(queue) == 0, "the message handled by the new worker");
        Assert.Equal(1, host.Supervisor.Restarts);
    }

    [Fact]
    public async Task Invocation_WhoseCallerGivesUp_WhileItIsBeingWritten_LeavesTheWorkersStreamUp()
    {
        var worker = new FakeWorker(new FakeFunction("Work", Queue("message", "idle-" + Guid.NewGuid().ToString("N")[..8])));
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);
        var channel = host.Supervisor.Current!.Channel;

        // The worker stops reading after one more message, so the next big write waits on HTTP/2 flow control.
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = worker.Received;
        worker.ReadGate = resume.Task;
        await channel.SendAsync(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = "nothing" } }, CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(worker.Received > before), "the worker read the last message before its pause");

        var invocation = new InvocationRequest { InvocationId = Guid.NewGuid().ToString(), FunctionId = "id-Work" };
        invocation.TriggerMetadata["big"] = new TypedData { String = new string('x', 3_000_000) };
        using var caller = new CancellationTokenSource();
        var call = channel.InvokeAsync(invocation, TimeSpan.FromSeconds(30), caller.Token);
        await caller.CancelAsync();
        await Task.Delay(250);
        resume.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Eventually.TrueAsync(() => Task.FromResult(worker.Invocations.Any(i => i.InvocationId == invocation.InvocationId)), "the invocation written whole");
        Assert.False(channel.IsClosed, "the worker's stream ended");
        Assert.Equal(0, host.Supervisor.Restarts);
    }

    [Fact]
    public async Task HttpTrigger_IsForwardedWithTheInvocationId_RouteValues_AndTheCallersAddress()
    {
        await using var echo = await EchoServer.StartAsync();
        var worker = new FakeWorker(new FakeFunction("Greet",
            new { name = "req", type = "httpTrigger", direction = "In", methods = new[] { "get" }, route = "shops/{shopId}/greet" },
            new { name = "$return", type = "http", direction = "Out" }));
        worker.Capabilities["HttpUri"] = echo.Url.AbsoluteUri;
        await using var host = await LocalFunctionsHost.StartAsync(Options(worker, QuickRetries), CancellationToken.None);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };

        using var request = new HttpRequestMessage(HttpMethod.Get, "api/shops/s-42/greet?x=1");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var response = await client.SendAsync(request);
        var missing = await client.GetAsync("api/shops/s-42/nothing-here");
        var wrongMethod = await client.PostAsync("api/shops/s-42/greet", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var invocation = Assert.Single(worker.Invocations);
        Assert.Equal(invocation.InvocationId, echo.Last!["x-ms-invocation-id"]);
        Assert.Equal("s-42", invocation.TriggerMetadata["shopId"].String);
        Assert.Equal("/api/shops/s-42/greet?x=1", echo.Last["path"]);
        // The platform appends the address it saw; the app trusts only that last hop.
        Assert.Equal("203.0.113.9, 127.0.0.1", echo.Last["x-forwarded-for"]);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongMethod.StatusCode);
        Assert.Single(worker.Invocations);
    }

    /// <summary>Stands in for the worker's own HTTP server: answers 200 and keeps the last request's headers.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly WebApplication app;

        private EchoServer(WebApplication app, Uri url)
        {
            this.app = app;
            Url = url;
        }

        public Uri Url { get; }

        public Dictionary<string, string>? Last { get; private set; }

        public static async Task<EchoServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var port = Azurite.FreePort();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var server = new EchoServer(app, new Uri($"http://127.0.0.1:{port}/"));
            app.Run(context =>
            {
                server.Last = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
                server.Last["path"] = context.Request.Path + context.Request.QueryString;
                return context.Response.WriteAsync("hello");
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}

public sealed class FunctionsHostFixture : IAsyncLifetime
{
    private readonly List<string> directories = [];

    public Azurite Storage { get; private set; } = default!;

    public async Task InitializeAsync() => Storage = await Azurite.StartAsync();

    public async Task DisposeAsync()
    {
        await Storage.DisposeAsync();
        foreach (var d in directories)
        {
            Directory.Delete(d, recursive: true);
        }
    }

    /// <summary>An app directory holding only <paramref name="hostJson"/>: all the host reads from it besides the worker.</summary>
    public string AppDirectory(string hostJson)
    {
        var directory = Directory.CreateTempSubdirectory("cartcall-fake-app-").FullName;
        File.WriteAllText(Path.Combine(directory, "host.json"), hostJson);
        directories.Add(directory);
        return directory;
    }

    public async Task SendAsync(string queue, string text, bool base64 = true)
    {
        var client = new QueueClient(Storage.ConnectionString, queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await client.CreateIfNotExistsAsync();
        await client.SendMessageAsync(base64 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) : text);
    }

    public async Task<int> CountAsync(string queue)
    {
        var client = new QueueClient(Storage.ConnectionString, queue);
        if (!await client.ExistsAsync())
        {
            return 0;
        }

        return (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }
}

[CollectionDefinition(Name)]
public sealed class FunctionsHostCollection : ICollectionFixture<FunctionsHostFixture>
{
    public const string Name = "local Functions host over Azurite";
}

internal static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (await probe())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("Timed out waiting for " + what + ".");
    }
}
