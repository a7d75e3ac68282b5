using System.Net;
using System.Net.Sockets;
using System.Reflection;
using CartCall.Functions;
using CartCall.LocalCloud.FunctionsHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CartCall.Testing;

/// <summary>How a test runs the CartCall Functions app.</summary>
public sealed record FunctionsAppOptions
{
    /// <summary>The app settings (what local.settings.json or the Function App's settings hold), with <c>:</c> or <c>__</c>.</summary>
    public Dictionary<string, string?> Settings { get; init; } = new();

    /// <summary>The storage the host's triggers and Durable use (AzureWebJobsStorage).</summary>
    public required string StorageConnectionString { get; init; }

    /// <summary>Replaces app services, e.g. the clock. In-process workers only.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Loopback port for HTTP; 0 takes a free one.</summary>
    public int HttpPort { get; init; }

    /// <summary>Run the worker in a process of its own, as the Functions host does (for crash tests), instead of in the test's process.</summary>
    public bool WorkerProcess { get; init; }

    /// <summary>Queue triggers poll this often at most (host.json says 2 s; tests need not wait that long).</summary>
    public TimeSpan QueuePollingInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>What the host and worker print; <c>CARTCALL_TEST_LOG=Information</c> (or any level) overrides it when debugging.</summary>
    public LogLevel MinimumLogLevel { get; init; } =
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("CARTCALL_TEST_LOG"), out var level) ? level : LogLevel.Warning;
}

/// <summary>
/// The CartCall Functions app as a test uses it: the local Functions host (the same one <c>cartcall-local up</c> runs)
/// starting the isolated worker and speaking the host's gRPC protocol to it. The worker runs in the test's own process
/// by default (fast, and its services can be replaced and read); <see cref="FunctionsAppOptions.WorkerProcess"/> runs
/// it as a child process instead.
/// </summary>
public sealed class FunctionsApp : IAsyncDisposable
{
    private readonly InProcessWorkerLauncher? inProcess;

    private FunctionsApp(LocalFunctionsHost host, InProcessWorkerLauncher? inProcess)
    {
        Host = host;
        this.inProcess = inProcess;
    }

    public LocalFunctionsHost Host { get; }

    public Uri BaseAddress => Host.BaseAddress;

    /// <summary>The running worker's services (in-process workers only).</summary>
    public IServiceProvider Services => inProcess?.Current?.Services ?? throw new InvalidOperationException("The worker runs in a process of its own; its services are not reachable.");

    /// <summary>The worker's build output: the app directory the host reads host.json from.</summary>
    public static string AppDirectory => AppContext.BaseDirectory;

    public static async Task<FunctionsApp> StartAsync(FunctionsAppOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Settings.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
        settings["AzureWebJobsStorage"] = options.StorageConnectionString;
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(options.MinimumLogLevel));
        InProcessWorkerLauncher? inProcess = null;
        IWorkerLauncher launcher;
        string appDirectory;
        if (options.WorkerProcess)
        {
            appDirectory = RepoPaths.FunctionsAppOutput;
            launcher = new ProcessWorkerLauncher(Path.Combine(appDirectory, "CartCall.Functions.dll"),
                onOutput: line => { if (options.MinimumLogLevel <= LogLevel.Information) Console.WriteLine("worker | " + line); });
        }
        else
        {
            appDirectory = AppDirectory;
            inProcess = new InProcessWorkerLauncher(settings, options.ConfigureServices, options.MinimumLogLevel);
            launcher = inProcess;
        }

        var host = await LocalFunctionsHost.StartAsync(new LocalFunctionsHostOptions
        {
            AppDirectory = appDirectory,
            Launcher = launcher,
            Settings = settings,
            HttpPort = options.HttpPort,
            DurablePollingInterval = TimeSpan.FromMilliseconds(100),
            QueuePollingInterval = options.QueuePollingInterval,
            LoggerFactory = loggers,
            OnWorkerLog = (_, log) =>
            {
                if ((int)log.Level >= (int)options.MinimumLogLevel && log.Level != CartCall.LocalCloud.FunctionsHost.Rpc.RpcLog.Types.Level.None)
                {
                    Console.WriteLine($"worker {log.Level} {log.Category}: {log.Message} {log.Exception?.Message}");
                }
            },
        }, cancellationToken).ConfigureAwait(false);
        return new FunctionsApp(host, inProcess);
    }

    /// <summary>A client for the app; cookies are kept unless told otherwise, as a browser would.</summary>
    public HttpClient CreateClient(bool handleCookies = true, IPAddress? from = null) =>
        new(Handler(handleCookies, from)) { BaseAddress = BaseAddress };

    /// <summary>
    /// A handler whose connections come from <paramref name="from"/> (any 127.x.y.z address on Linux), so tests can be
    /// several clients as the platform's front end sees them.
    /// </summary>
    public static SocketsHttpHandler Handler(bool handleCookies = true, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, UseCookies = handleCookies, AllowAutoRedirect = false };
        if (from is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return handler;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync().ConfigureAwait(false);
}

/// <summary>
/// Runs the worker's host in the test's own process, built as Program.cs builds it. The worker finds its generated
/// parts (the extensions' startup code, the generated function index and executor) through the process's entry
/// assembly, which in a test is the test host's; so they are taken from the app's assembly here instead.
/// </summary>
public sealed class InProcessWorkerLauncher(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? configureServices, LogLevel minimumLevel) : IWorkerLauncher
{
    private static readonly Assembly App = typeof(CartCallApp).Assembly;

    public IHost? Current { get; private set; }

    public async Task<IRunningWorker> StartAsync(WorkerStartInfo start, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        // Read by the worker's ASP.NET Core integration (host.json's route prefix); the same for every worker here.
        Environment.SetEnvironmentVariable("FUNCTIONS_APPLICATION_DIRECTORY", start.AppDirectory);
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings.Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value)));
        // The worker reads its --functions-* switches from the process's own command line; in-process they are given as the keys they map to.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Functions:Worker:HostEndpoint"] = start.HostEndpoint.AbsoluteUri,
            ["Functions:Worker:WorkerId"] = start.WorkerId,
            ["Functions:Worker:RequestId"] = start.RequestId,
            ["Functions:Worker:GrpcMaxMessageLength"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.Logging.SetMinimumLevel(minimumLevel);
        AddGeneratedParts(builder);
        builder.ConfigureFunctionsWebApplication();
        builder.AddCartCall();
        // The ASP.NET Core integration picks its port once per process; each in-process worker needs its own.
        var port = FreePort();
        builder.Services.Configure<WorkerOptions>(o => o.Capabilities["HttpUri"] = $"http://localhost:{port}/");
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.ListenLocalhost(port));
        configureServices?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        Current = host;
        return new InProcessWorker(host);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void AddGeneratedParts(FunctionsApplicationBuilder builder)
    {
        if (App.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>() is { } startup)
        {
            ((WorkerExtensionStartup)Activator.CreateInstance(startup.StartupCodeExecutorType)!).Configure(builder);
        }

        var shim = new ServicesHostBuilder(builder.Services, builder.Configuration, builder.Environment);
        foreach (var type in App.GetTypes().Where(t => typeof(IAutoConfigureStartup).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface))
        {
            ((IAutoConfigureStartup)Activator.CreateInstance(type)!).Configure(shim);
        }
    }

    private sealed class InProcessWorker(IHost host) : IRunningWorker
    {
        private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int stopped;

        public int? ProcessId => null;

        public Task Exited => exited.Task;

        public void Kill() => _ = StopAsync(TimeSpan.Zero);

        public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);

        private async Task StopAsync(TimeSpan grace)
        {
            if (Interlocked.Exchange(ref stopped, 1) == 1)
            {
                await exited.Task.ConfigureAwait(false);
                return;
            }

            try
            {
                using var cts = new CancellationTokenSource(grace);
                await host.StopAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped without grace.
            }
            finally
            {
                host.Dispose();
                exited.TrySetResult();
            }
        }
    }

    /// <summary>Just enough of an <see cref="IHostBuilder"/> for the generated ConfigureServices calls.</summary>
    private sealed class ServicesHostBuilder(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment) : IHostBuilder
    {
        public IDictionary<object, object> Properties { get; } = new Dictionary<object, object>();

        public IHostBuilder ConfigureServices(Action<HostBuilderContext, IServiceCollection> configureDelegate)
        {
            ArgumentNullException.ThrowIfNull(configureDelegate);
            configureDelegate(new HostBuilderContext(Properties) { Configuration = configuration, HostingEnvironment = environment }, services);
            return this;
        }

        public IHost Build() => throw new NotSupportedException();

        public IHostBuilder ConfigureAppConfiguration(Action<HostBuilderContext, IConfigurationBuilder> configureDelegate) => throw new NotSupportedException();

        public IHostBuilder ConfigureContainer<TContainerBuilder>(Action<HostBuilderContext, TContainerBuilder> configureDelegate) => throw new NotSupportedException();

        public IHostBuilder ConfigureHostConfiguration(Action<IConfigurationBuilder> configureDelegate) => throw new NotSupportedException();

        public IHostBuilder UseServiceProviderFactory<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory)
            where TContainerBuilder : notnull => throw new NotSupportedException();

        public IHostBuilder UseServiceProviderFactory<TContainerBuilder>(Func<HostBuilderContext, IServiceProviderFactory<TContainerBuilder>> factory)
            where TContainerBuilder : notnull => throw new NotSupportedException();
    }
}
