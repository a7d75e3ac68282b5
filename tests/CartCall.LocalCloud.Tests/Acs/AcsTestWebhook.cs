using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>A callback receiver on 127.0.0.1 that records what the stand-in posts.</summary>
internal sealed class AcsTestWebhook : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string? Authorization, string Body)> _received = new();

    private AcsTestWebhook(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<(string? Authorization, string Body)> Received => _received.ToArray();

    public static async Task<AcsTestWebhook> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var hook = new AcsTestWebhook(app);
        app.MapPost("/api/calls/events", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            hook._received.Enqueue((ctx.Request.Headers.Authorization.FirstOrDefault(), await reader.ReadToEndAsync()));
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hook.Url = new Uri($"http://127.0.0.1:{new Uri(address).Port}/api/calls/events?tenant=t1");
        return hook;
    }

    /// <summary>Waits (bounded) until some received body satisfies <paramref name="predicate"/>.</summary>
    public async Task<bool> WaitForAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_received.Any(r => predicate(r.Body))) return true;
            await Task.Delay(50);
        }

        return _received.Any(r => predicate(r.Body));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
