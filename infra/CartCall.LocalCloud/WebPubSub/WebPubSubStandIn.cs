using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>
/// A local Azure Web PubSub: the client WebSocket endpoint (simple and JSON subprotocols) and the data-plane REST
/// API with the service's HS256 key auth, on 127.0.0.1. Messages to nobody are dropped as the service does, and
/// listed at <c>GET /_standin/log</c>.
/// </summary>
public sealed class WebPubSubStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly StandInActivityLog _log;
    private readonly StandInHubs _hubs;
    private int _disposed;

    private WebPubSubStandIn(WebApplication app, CancellationTokenSource stopping, StandInActivityLog log, StandInHubs hubs, Uri endpoint, string accessKey)
    {
        _app = app;
        _stopping = stopping;
        _log = log;
        _hubs = hubs;
        Endpoint = endpoint;
        AccessKey = accessKey;
    }

    /// <summary><c>http://127.0.0.1:{port}</c>, no trailing slash: token audiences are built from it.</summary>
    public Uri Endpoint { get; }

    public string AccessKey { get; }

    /// <summary>The service's connection-string shape, as the SDKs and the app's options parse it.</summary>
    public string ConnectionString => $"Endpoint={EndpointText};AccessKey={AccessKey};Version=1.0;";

    /// <summary>What the stand-in did and dropped, oldest first (the same list <c>GET /_standin/log</c> shows).</summary>
    public IReadOnlyList<StandInActivity> RecentActivity => _log.Snapshot();

    /// <summary>How many client connections are open on <paramref name="hub"/>.</summary>
    public int ConnectionCount(string hub) => _hubs.All(hub, []).Count;

    private string EndpointText => Endpoint.GetLeftPart(UriPartial.Authority);

    public static async Task<WebPubSubStandIn> StartAsync(WebPubSubStandInOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var accessKey = options.AccessKey ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

        // The empty builder reads no environment or appsettings, so nothing around the stand-in can move its port.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        builder.Services.AddLogging();
        builder.Services.AddSingleton(options.LoggerFactory ?? NullLoggerFactory.Instance);
        var app = builder.Build();

        var stopping = new CancellationTokenSource();
        var log = new StandInActivityLog(options.LogCapacity, options.TimeProvider);
        var hubs = new StandInHubs();
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var handler = new StandInRequestHandler(options, accessKey, hubs, log, loggerFactory.CreateLogger<WebPubSubStandIn>(), stopping.Token);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Run(handler.HandleAsync);

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            stopping.Dispose();
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var endpoint = new Uri($"http://127.0.0.1:{new Uri(address).Port}");
        handler.Endpoint = endpoint.GetLeftPart(UriPartial.Authority);
        return new WebPubSubStandIn(app, stopping, log, hubs, endpoint, accessKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Ends every connection loop first, so Kestrel's graceful stop has no open sockets to wait for.
        await _stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _stopping.Dispose();
        }
    }
}
