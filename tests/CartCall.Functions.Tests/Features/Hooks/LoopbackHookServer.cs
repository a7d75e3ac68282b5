using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>A real HTTP server on 127.0.0.1 (Kestrel, free port) whose answer to the n-th request (1-based) is scripted.</summary>
public sealed class LoopbackHookServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int count;

    public sealed record Received(int Number, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    private LoopbackHookServer(WebApplication app) => this.app = app;

    public ConcurrentQueue<Received> Requests { get; } = new();

    public int Count => Volatile.Read(ref count);

    public Uri Url { get; private set; } = null!;

    public static async Task<LoopbackHookServer> StartAsync(Func<HttpContext, int, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackHookServer(app);
        app.Run(async context =>
        {
            var number = Interlocked.Increment(ref server.count);
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            server.Requests.Enqueue(new Received(number,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            await respond(context, number);
        });
        await app.StartAsync();
        server.Url = new Uri(app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/hook");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }
}
