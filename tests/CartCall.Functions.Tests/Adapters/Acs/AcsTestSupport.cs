using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Collections.Concurrent;
using System.Net;
using Azure.Core.Pipeline;
using CartCall.Functions.Adapters.Acs;
using CartCall.LocalCloud.Acs;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.Functions.Tests.Adapters.Acs;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The app's side of callbacks on 127.0.0.1: authenticates each POST with <see cref="AcsCallbackAuthenticator"/>
/// (401 on failure) and parses it with <see cref="AcsCallbackParser"/>, as the real handler will.
/// </summary>
internal sealed class AcsCallbackSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<AcsCallEvent> _events = new();
    private readonly ConcurrentQueue<string> _rejections = new();
    private readonly ConcurrentQueue<string?> _authorizations = new();

    private AcsCallbackSink(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<AcsCallEvent> Events => _events.ToArray();

    public IReadOnlyList<string> Rejections => _rejections.ToArray();

    /// <summary>Every Authorization header received, accepted or not.</summary>
    public IReadOnlyList<string?> Authorizations => _authorizations.ToArray();

    public static async Task<AcsCallbackSink> StartAsync(AcsCallbackAuthenticator authenticator)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var sink = new AcsCallbackSink(app);
        app.MapPost("/api/calls/events", async (HttpContext ctx) =>
        {
            sink._authorizations.Enqueue(ctx.Request.Headers.Authorization.FirstOrDefault());
            var auth = await authenticator.AuthenticateAsync(ctx.Request.Headers.Authorization.FirstOrDefault(), ctx.RequestAborted);
            if (!auth.Succeeded)
            {
                sink._rejections.Enqueue(auth.FailureReason ?? "?");
                return Results.Unauthorized();
            }

            var body = await BinaryData.FromStreamAsync(ctx.Request.Body, ctx.RequestAborted);
            foreach (var e in AcsCallbackParser.Parse(body)) sink._events.Enqueue(e);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        sink.Url = new Uri($"http://127.0.0.1:{new Uri(address).Port}/api/calls/events");
        return sink;
    }

    /// <summary>Waits (bounded) for an event of type <typeparamref name="T"/> matching <paramref name="match"/>.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool> match, TimeSpan? timeout = null)
        where T : AcsCallEvent
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = _events.OfType<T>().FirstOrDefault(match);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No {typeof(T).Name} arrived. Got: {string.Join(", ", _events.Select(e => e.Type))}; rejected: {string.Join(", ", _rejections)}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A stand-in, a callback sink and the production clients wired to them.</summary>
internal sealed class AcsHarness : IAsyncDisposable
{
    public required AcsStandIn StandIn { get; init; }
    public required AcsCallbackSink Sink { get; init; }
    public required AcsOptions Options { get; init; }
    public required AcsCallClient Calls { get; init; }

    public static async Task<AcsHarness> StartAsync(Action<AcsStandInOptions>? configure = null)
    {
        var standInOptions = new AcsStandInOptions();
        configure?.Invoke(standInOptions);
        var standIn = await AcsStandIn.StartAsync(standInOptions, CancellationToken.None);
        var options = OptionsFor(standIn);
        var sink = await AcsCallbackSink.StartAsync(new AcsCallbackAuthenticator(options, TimeProvider.System, NullLogger<AcsCallbackAuthenticator>.Instance));
        return new AcsHarness { StandIn = standIn, Sink = sink, Options = options, Calls = new AcsCallClient(options, TimeProvider.System) };
    }

    public static AcsOptions OptionsFor(AcsStandIn standIn) => new()
    {
        ConnectionString = standIn.ConnectionString,
        CallbackIssuer = standIn.Issuer,
        ImmutableResourceId = standIn.ResourceId,
        OpenIdConfigurationUri = standIn.OpenIdConfigurationUri,
        RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    public CreateCallRequest PstnCall(string number, string context = "ctx-pstn") =>
        new([new PhoneNumberIdentifier(number)], Sink.Url)
        {
            SourceCallerIdNumber = new PhoneNumberIdentifier("+14255550100"),
            SourceDisplayName = "Store",
            OperationContext = context,
        };

    public async ValueTask DisposeAsync()
    {
        await StandIn.DisposeAsync();
        await Sink.DisposeAsync();
    }
}

/// <summary>An HttpClient handler that records requests and answers from a script, for pipeline tests.</summary>
internal sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] replies) : HttpMessageHandler
{
    private int _next;

    public List<(HttpRequestMessage Request, byte[] Body)> Seen { get; } = [];

    public static HttpClientTransport Transport(ScriptedHandler handler) => new(new HttpClient(handler));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Seen.Add((request, body));
        var reply = replies[Math.Min(_next++, replies.Length - 1)];
        return reply(request);
    }
}
