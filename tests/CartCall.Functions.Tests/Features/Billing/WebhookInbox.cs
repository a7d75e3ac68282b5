using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>A loopback endpoint that keeps what Stripe (the stand-in) delivers: raw body and Stripe-Signature.</summary>
public sealed class WebhookInbox : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<(string Body, string? Signature)> received = new();

    private WebhookInbox(WebApplication app) => this.app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<(string Body, string? Signature)> Received => [.. received];

    public static async Task<WebhookInbox> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var inbox = new WebhookInbox(app);
        app.MapPost("/stripe", async (HttpContext ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            inbox.received.Enqueue((await reader.ReadToEndAsync(ctx.RequestAborted), ctx.Request.Headers["Stripe-Signature"].FirstOrDefault()));
            return Results.Ok();
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        inbox.Url = new Uri($"http://127.0.0.1:{port}/stripe");
        return inbox;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
