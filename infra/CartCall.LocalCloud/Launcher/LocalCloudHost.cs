using System.Globalization;
using CartCall.LocalCloud.Acs;
using CartCall.LocalCloud.EventGrid;
using CartCall.LocalCloud.FunctionsHost;
using CartCall.LocalCloud.Storefront;
using CartCall.LocalCloud.Stripe;
using CartCall.LocalCloud.WebPubSub;

namespace CartCall.LocalCloud.Launcher;

/// <summary>One row of the "what is running where" table.</summary>
public sealed record ServiceEndpoint(string Service, string Url, string Note);

/// <summary>
/// Everything <c>cartcall-local up</c> runs, started in dependency order: Azurite, the Event Grid, Web PubSub and
/// ACS stand-ins, the app on the local Functions host (its worker a child process, as the Functions host runs it,
/// restarted with backoff if it dies), the demo merchant, the demo storefront. <see cref="DisposeAsync"/> stops all of it in reverse order; a failed start stops what had started.
/// </summary>
public sealed class LocalCloudHost : IAsyncDisposable
{
    public const string HubName = "cartcall";

    /// <summary>The app's Stripe webhook intake (StripeWebhook's route).</summary>
    public const string StripeWebhookPath = "api/billing/stripe/webhooks";

    private readonly Stack<(string Name, IAsyncDisposable Part)> parts = new();

    private readonly RepositoryLayout layout;
    private readonly LauncherOptions options;
    private int disposed;
    private string publishableKey = "";

    private LocalCloudHost(RepositoryLayout layout, LauncherOptions options, LocalSecrets secrets)
    {
        this.layout = layout;
        this.options = options;
        Secrets = secrets;
    }

    public LocalSecrets Secrets { get; }

    public Uri AppUrl => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.AppPort}/"));

    public Uri StorefrontOrigin => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{options.StorefrontPort}/"));

    /// <summary>Process start of the app to its first healthy answer.</summary>
    public TimeSpan AppStartup { get; private set; }

    public ChildProcess? Azurite { get; private set; }

    /// <summary>The local Functions host running the app.</summary>
    public LocalFunctionsHost? Functions { get; private set; }

    public EventGridStandIn? EventGrid { get; private set; }

    public WebPubSubStandIn? WebPubSub { get; private set; }

    public AcsStandIn? Acs { get; private set; }

    public StripeStandIn? Stripe { get; private set; }

    /// <summary>The demo storefront, once started.</summary>
    public Uri? StorefrontUrl { get; private set; }

    public IReadOnlyList<ServiceEndpoint> Endpoints { get; private set; } = [];

    /// <summary>Completes when a child the local cloud depends on exits on its own.</summary>
    /// <remarks>The app's worker is not among them: its host restarts it with backoff instead.</remarks>
    public Task<ChildProcess> ChildExited =>
        Task.WhenAny(new[] { Azurite }.OfType<ChildProcess>().Select(async c => { await c.Exited.ConfigureAwait(false); return c; }))
            .Unwrap();

    public static async Task<LocalCloudHost> StartAsync(
        RepositoryLayout layout, LauncherOptions options, Action<string> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        var taken = options.AllPorts.Where(p => !LoopbackPorts.IsFree(p)).ToList();
        if (taken.Count > 0)
        {
            throw new InvalidOperationException(
                $"127.0.0.1 port(s) {string.Join(", ", taken)} are in use: is another cartcall-local running? Stop it, or choose other ports (see --help).");
        }

        var host = new LocalCloudHost(layout, options, LocalSecrets.Generate());
        try
        {
            await host.StartPartsAsync(report, cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartPartsAsync(Action<string> report, CancellationToken ct)
    {
        Directory.CreateDirectory(layout.LogDirectory);

        // Build first: it is the slow step, and nothing should be listening while it runs.
        var appDll = await AppProcess.EnsureBuiltAsync(layout, options.Configuration, report, ct).ConfigureAwait(false);

        Azurite = await AzuriteProcess.StartAsync(
            layout, options.BlobPort, options.QueuePort, options.TablePort,
            options.InMemoryStorage ? null : layout.AzuriteDataDirectory, Path.Combine(layout.LogDirectory, "azurite.log"), report, ct).ConfigureAwait(false);
        parts.Push(("Azurite", Azurite));
        report(Invariant($"Azurite listening on 127.0.0.1:{options.BlobPort}-{options.TablePort}"));

        var deliveries = new Uri(AppUrl, $"api/offers/deliveries?code={Secrets.EventGridDeliveryKey}");
        EventGrid = await EventGridStandIn.StartAsync(new EventGridStandInOptions
        {
            Port = options.EventGridPort,
            TopicKey = Secrets.EventGridTopicKey,
            Subscriptions = [new EventGridSubscriptionOptions { Name = "deliver-offers", Endpoint = deliveries, Schema = EventDeliverySchema.CloudEvents }],
        }, ct).ConfigureAwait(false);
        parts.Push(("Event Grid stand-in", EventGrid));
        report($"Event Grid stand-in at {EventGrid.Endpoint}");

        WebPubSub = await WebPubSubStandIn.StartAsync(new WebPubSubStandInOptions { Port = options.WebPubSubPort }, ct).ConfigureAwait(false);
        parts.Push(("Web PubSub stand-in", WebPubSub));
        report($"Web PubSub stand-in at {WebPubSub.Endpoint}");

        // Identities the app makes (the shopper's for a browser call, the first agent's for the workspace) answer in
        // their pages over the stand-in's calling socket; phone numbers answer by script.
        Acs = await AcsStandIn.StartAsync(new AcsStandInOptions { Port = options.AcsPort, IssuedUserParty = PartyScript.InBrowser() }, ct).ConfigureAwait(false);
        parts.Push(("ACS stand-in", Acs));
        report($"ACS stand-in at {Acs.Endpoint}");

        // Stripe's webhooks go to the app's intake, signed as a Stripe endpoint's are.
        Stripe = await StripeStandIn.StartAsync(new StripeStandInOptions
        {
            Port = options.StripePort,
            WebhookEndpoints = [new StripeWebhookEndpointOptions { Url = new Uri(AppUrl, StripeWebhookPath), Secrets = [Secrets.StripeWebhookSecret] }],
        }, ct).ConfigureAwait(false);
        parts.Push(("Stripe stand-in", Stripe));
        report($"Stripe stand-in at {Stripe.BaseAddress}");

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var appLog = new StreamWriter(new FileStream(Path.Combine(layout.LogDirectory, "app.log"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        parts.Push(("app log", appLog));
        var echo = options.EchoAppLogs;
        void AppLine(string line)
        {
            lock (appLog)
            {
                appLog.WriteLine(line);
            }

            if (echo)
            {
                report("app | " + line);
            }
        }

        Functions = await LocalFunctionsHost.StartAsync(new LocalFunctionsHostOptions
        {
            AppDirectory = Path.GetDirectoryName(appDll)!,
            Launcher = new ProcessWorkerLauncher(appDll, onOutput: AppLine),
            Settings = AppSettings(),
            HttpPort = options.AppPort,
            DurablePollingInterval = TimeSpan.FromSeconds(1),
            OnWorkerLog = (_, log) => AppLine($"{log.Level} {log.Category}: {log.Message}{(log.Exception is null ? "" : " " + log.Exception.Message)}"),
        }, ct).ConfigureAwait(false);
        parts.Push(("app", Functions));
        Functions.Supervisor.WorkerReady += session =>
        {
            if (session.Generation > 1)
            {
                report(Invariant($"The app's worker died and was restarted (restart {session.Generation - 1})."));
            }
        };
        AppStartup = await AppProcess.WaitHealthyAsync(AppUrl, started, options.HealthTimeout, ct).ConfigureAwait(false);
        report(Invariant($"App healthy at {AppUrl} in {AppStartup.TotalSeconds:0.00} s (local Functions host start to first 200 from {AppProcess.HealthPath}); {Functions.Functions.Count} functions"));

        await CreateDemoMerchantAsync(ct).ConfigureAwait(false);
        report(Invariant($"Merchant '{options.MerchantId}' ready with {options.AgentCount} available agent(s)"));

        StorefrontUrl = await StartStorefrontAsync(report, ct).ConfigureAwait(false);

        await new LocalCloudSession(AppUrl, options.MerchantId, Secrets.MerchantSigningSecret, Secrets.AdminKey, StorefrontUrl, Environment.ProcessId, DateTimeOffset.UtcNow)
            .WriteAsync(layout.SessionFile, ct).ConfigureAwait(false);
        Endpoints = BuildEndpoints();
    }

    /// <summary>The app's settings: what local.settings.json's Values hold, or the Function App's app settings in Azure.</summary>
    public IReadOnlyDictionary<string, string> AppSettings() => new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] = AzuriteProcess.ConnectionString(options.BlobPort, options.QueuePort, options.TablePort),
        ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development",
        ["CartCall__Calls__PublicBaseUrl"] = AppUrl.AbsoluteUri,
        ["CartCall__Storage__ConnectionString"] = AzuriteProcess.ConnectionString(options.BlobPort, options.QueuePort, options.TablePort),
        ["CartCall__Storage__CreateIfMissing"] = "true",
        ["CartCall__Admin__Key"] = Secrets.AdminKey,
        ["CartCall__EventGrid__TopicEndpoint"] = EventGrid!.Endpoint.AbsoluteUri,
        ["CartCall__EventGrid__TopicKey"] = Secrets.EventGridTopicKey,
        ["CartCall__EventGrid__DeliveryKey"] = Secrets.EventGridDeliveryKey,
        ["CartCall__WebPubSub__ConnectionString"] = WebPubSub!.ConnectionString,
        ["CartCall__WebPubSub__Hub"] = HubName,
        ["CartCall__Acs__ConnectionString"] = Acs!.ConnectionString,
        ["CartCall__Acs__ImmutableResourceId"] = Acs.ResourceId,
        ["CartCall__Acs__CallbackIssuer"] = Acs.Issuer,
        ["CartCall__Acs__OpenIdConfigurationUri"] = Acs.OpenIdConfigurationUri.AbsoluteUri,
        ["CartCall__Preferences__CookieSigningKey"] = Secrets.CookieSigningKey,
        ["CartCall__Stripe__SecretKey"] = Stripe!.SecretKey,
        ["CartCall__Stripe__PublishableKey"] = Stripe.PublishableKey,
        ["CartCall__Stripe__ApiBase"] = Stripe.BaseAddress.AbsoluteUri,
        ["CartCall__Stripe__WebhookSecrets__0"] = Secrets.StripeWebhookSecret,
        // Browser calls over WebRTC on loopback, signalled by the ACS stand-in (no emulator of the Calling SDK exists).
        ["CartCall__Calling__Adapter"] = "local",
    }.Concat(IdleSettings(options.IdleReevaluationDelay)).ToDictionary();

    /// <summary>A single check after the given silence (IdleSchedule.Once); nothing, so the product's schedule, when null.</summary>
    private static IEnumerable<KeyValuePair<string, string>> IdleSettings(TimeSpan? once) => once is { } delay
        ?
        [
            new("CartCall__Sessions__Idle__FirstChecks__0", delay.ToString("c", CultureInfo.InvariantCulture)),
            new("CartCall__Sessions__Idle__RepeatEvery", "00:00:00"),
            new("CartCall__Sessions__Idle__StopAfter", delay.ToString("c", CultureInfo.InvariantCulture)),
        ]
        : [];

    private async Task CreateDemoMerchantAsync(CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = AppUrl, Timeout = TimeSpan.FromSeconds(15) };
        var admin = new AdminApiClient(http, Secrets.AdminKey);
        var merchant = AdminApiClient.DemoMerchant(options.MerchantId, Secrets.MerchantSigningSecret, StorefrontOrigin);
        publishableKey = merchant.PublishableKey!;
        await admin.PutMerchantAsync(merchant, ct).ConfigureAwait(false);
        foreach (var agent in AdminApiClient.DemoAgents(options.AgentCount))
        {
            await admin.PutAgentAsync(options.MerchantId, agent, ct).ConfigureAwait(false);
            if (agent.TakesCallsOn == CartCall.Functions.Features.Agents.AgentDevice.Browser)
            {
                // The workspace's agent: a key to sign in with, and the ACS identity the app makes for browser calls.
                var key = await admin.IssueAgentKeyAsync(options.MerchantId, agent.Id, ct).ConfigureAwait(false);
                await admin.TakeCallsInBrowserAsync(key, ct).ConfigureAwait(false);
                WorkspaceAgent = (agent.Id, key);
            }
        }
    }

    /// <summary>The demo agent who answers in the agent workspace, and their key; null with no agents.</summary>
    public (string AgentId, string Key)? WorkspaceAgent { get; private set; }

    /// <summary>
    /// The demo storefront: a real storefront backend that signs its cart events to the app's webhook and embeds the
    /// widget with the demo merchant's publishable key.
    /// </summary>
    private async Task<Uri?> StartStorefrontAsync(Action<string> report, CancellationToken ct)
    {
        var store = await DemoStorefront.StartAsync(
            new DemoStorefrontOptions
            {
                Port = options.StorefrontPort,
                AppBaseUrl = AppUrl,
                MerchantId = options.MerchantId,
                SigningSecret = Secrets.MerchantSigningSecret,
                PublishableKey = publishableKey,
            },
            ct).ConfigureAwait(false);
        parts.Push(("demo storefront", store));
        report("Demo storefront ready.");
        return store.Url;
    }

    private List<ServiceEndpoint> BuildEndpoints()
    {
        var list = new List<ServiceEndpoint>
        {
            new("App", AppUrl.AbsoluteUri, Invariant($"local Functions host, {Functions?.Functions.Count} functions; healthy in {AppStartup.TotalSeconds:0.00} s; log infra/.run/logs/app.log")),
            new("OpenAPI", new Uri(AppUrl, "api/openapi.json").AbsoluteUri, "the app's API description"),
            new("Health", new Uri(AppUrl, AppProcess.HealthPath.TrimStart('/')).AbsoluteUri, "tables and queues reachable"),
            WorkspaceAgent is { } w
                ? new("Agent workspace", new Uri(AppUrl, "api/agent/workspace").AbsoluteUri + "#key=" + w.Key,
                    $"signed in as {w.AgentId}, who answers browser calls here (ringing with sound); the other agents answer by script")
                : new("Agent workspace", new Uri(AppUrl, "api/agent/workspace").AbsoluteUri, "no demo agents"),
            new("Cart events", new Uri(AppUrl, $"api/merchants/{options.MerchantId}/cart-events").AbsoluteUri, "signed with CartCall-Signature"),
            new("Azurite", Invariant($"http://127.0.0.1:{options.BlobPort} / {options.QueuePort} / {options.TablePort}"),
                options.InMemoryStorage ? "blob / queue / table, in memory" : "blob / queue / table; data in infra/.run/azurite"),
            new("Event Grid stand-in", EventGrid!.Endpoint.AbsoluteUri, "deliveries: /api/_standin/deliveries"),
            new("Web PubSub stand-in", WebPubSub!.Endpoint.AbsoluteUri, $"hub '{HubName}'; activity: /_standin/log"),
            new("ACS stand-in", Acs!.Endpoint.AbsoluteUri, "answer as shopper or agent on this page"),
            new("Stripe stand-in", Stripe!.BaseAddress.AbsoluteUri, "PaymentIntents, test cards; Payment Element page: /_standin/payment-element"),
            new("Storefront", StorefrontUrl?.AbsoluteUri ?? "(not started)", StorefrontUrl is null ? "branch widget not merged yet" : "the demo store"),
        };
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (File.Exists(layout.SessionFile))
            {
                File.Delete(layout.SessionFile);
            }
        }
        catch (IOException)
        {
            // A stale file is ignored by readers: its process id is no longer alive.
        }

        var errors = new List<Exception>();
        while (parts.TryPop(out var part))
        {
            try
            {
                if (part.Part is StreamWriter writer)
                {
                    await writer.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                if (part.Part is ChildProcess child)
                {
                    await child.StopAsync(options.StopGrace).ConfigureAwait(false);
                }

                await part.Part.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                errors.Add(new InvalidOperationException($"Stopping {part.Name} failed: {e.Message}", e));
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("Some parts of the local cloud did not stop cleanly.", errors);
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
