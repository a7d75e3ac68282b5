using System.CommandLine;
using System.Globalization;
using CartCall.LocalCloud.Launcher;
using CartCall.LocalCloud.Packaging;
using CartCall.LocalCloud.Simulator;
using Spectre.Console;

namespace CartCall.LocalCloud;

/// <summary>The <c>cartcall-local</c> command: the launcher, the simulator and packaging.</summary>
public static class LocalCloudProgram
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitBadArguments = 2;

    public static int Main(string[] args)
    {
        var root = BuildCommand();
        // Ctrl-C and SIGTERM cancel the action's token; it then has this long to stop every child before the process ends.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
        return root.Parse(args).InvokeAsync(invocation).GetAwaiter().GetResult();
    }

    public static RootCommand BuildCommand()
    {
        var root = new RootCommand("CartCall's local cloud: Azurite, the Event Grid, Web PubSub and ACS stand-ins and the app on 127.0.0.1, a shopper simulator, and packaging.");
        var rootUp = new UpOptions(root);
        root.SetAction((parse, ct) => UpAsync(rootUp.Read(parse), ct));

        var up = new Command("up", "Start everything (the default): Azurite, the stand-ins, the app, the demo merchant; Ctrl-C stops it all.");
        var upOptions = new UpOptions(up);
        up.SetAction((parse, ct) => UpAsync(upOptions.Read(parse), ct));
        root.Subcommands.Add(up);

        root.Subcommands.Add(SimulateCommand());
        root.Subcommands.Add(PackageCommand());
        return root;
    }

    private sealed class UpOptions
    {
        private readonly Option<int> appPort = Port("--app-port", 7071, "the app");
        private readonly Option<int> blobPort = Port("--blob-port", 10000, "Azurite's blob service");
        private readonly Option<int> queuePort = Port("--queue-port", 10001, "Azurite's queue service");
        private readonly Option<int> tablePort = Port("--table-port", 10002, "Azurite's table service");
        private readonly Option<int> eventGridPort = Port("--event-grid-port", 7101, "the Event Grid stand-in");
        private readonly Option<int> webPubSubPort = Port("--web-pubsub-port", 7102, "the Web PubSub stand-in");
        private readonly Option<int> acsPort = Port("--acs-port", 7103, "the ACS stand-in");
        private readonly Option<int> storefrontPort = Port("--storefront-port", 7104, "the demo storefront");
        private readonly Option<int> stripePort = Port("--stripe-port", 7105, "the Stripe stand-in");
        private readonly Option<bool> inMemory = new("--in-memory") { Description = "Keep storage in memory (a fresh store every run) instead of infra/.run/azurite." };
        private readonly Option<string> configuration = new("--configuration", "-c")
        {
            Description = "Build configuration of the app to run.",
            DefaultValueFactory = _ => RepositoryLayout.CurrentConfiguration,
        };
        private readonly Option<string> idle = new("--idle-reevaluation")
        {
            Description = "Check a quiet checkout once, after this silence (e.g. 10s, 2m), instead of the product's schedule (30 s, 90 s, 3 min, then every 5 min).",
        };
        private readonly Option<int> agents = new("--agents") { Description = "Available agents the demo merchant gets.", DefaultValueFactory = _ => 3 };
        private readonly Option<bool> appLogs = new("--app-logs") { Description = "Echo the app's log on the console too (it always goes to infra/.run/logs/app.log)." };

        public UpOptions(Command command)
        {
            foreach (var o in new Option[] { appPort, blobPort, queuePort, tablePort, eventGridPort, webPubSubPort, acsPort, storefrontPort, stripePort, inMemory, configuration, idle, agents, appLogs })
            {
                command.Options.Add(o);
            }
        }

        public LauncherOptions? Read(ParseResult parse) => parse.GetValue(idle) is not { } text || Durations.TryParse(text, out _)
            ? new LauncherOptions
            {
                AppPort = parse.GetValue(appPort),
                BlobPort = parse.GetValue(blobPort),
                QueuePort = parse.GetValue(queuePort),
                TablePort = parse.GetValue(tablePort),
                EventGridPort = parse.GetValue(eventGridPort),
                WebPubSubPort = parse.GetValue(webPubSubPort),
                AcsPort = parse.GetValue(acsPort),
                StorefrontPort = parse.GetValue(storefrontPort),
                StripePort = parse.GetValue(stripePort),
                InMemoryStorage = parse.GetValue(inMemory),
                Configuration = parse.GetValue(configuration) ?? RepositoryLayout.CurrentConfiguration,
                IdleReevaluationDelay = parse.GetValue(idle) is { } once && Durations.TryParse(once, out var delay) ? delay : null,
                AgentCount = parse.GetValue(agents),
                EchoAppLogs = parse.GetValue(appLogs),
            }
            : null;

        private static Option<int> Port(string name, int port, string what) =>
            new(name) { Description = $"Loopback port of {what}.", DefaultValueFactory = _ => port };
    }

    private static async Task<int> UpAsync(LauncherOptions? options, CancellationToken ct)
    {
        if (options is null)
        {
            return Fail(ExitBadArguments, "--idle-reevaluation is not a duration (e.g. 90s, 2m, 00:01:30).");
        }

        if (options.Validate() is { Count: > 0 } problems)
        {
            return Fail(ExitBadArguments, string.Join(" ", problems));
        }

        RepositoryLayout layout;
        try
        {
            layout = RepositoryLayout.Find();
        }
        catch (DirectoryNotFoundException e)
        {
            return Fail(ExitFailed, e.Message);
        }

        LocalCloudHost? host = null;
        try
        {
            AnsiConsole.MarkupLineInterpolated($"[bold]CartCall local cloud[/] from {layout.Root}");
            host = await LocalCloudHost.StartAsync(layout, options, Say, ct).ConfigureAwait(false);
            Render(host);

            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var registration = ct.Register(() => stopped.TrySetResult()).ConfigureAwait(false);
            var first = await Task.WhenAny(stopped.Task, host.ChildExited).ConfigureAwait(false);
            if (first != stopped.Task)
            {
                var child = await host.ChildExited.ConfigureAwait(false);
                AnsiConsole.MarkupLineInterpolated($"[red]{child.Name} exited on its own (code {child.ExitCode}); stopping everything.[/]");
                ShowOutput(child.RecentOutput);
                return ExitFailed;
            }

            return ExitOk;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitOk;
        }
        catch (ChildFailedException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            ShowOutput(e.RecentOutput);
            return ExitFailed;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or HttpRequestException or System.ComponentModel.Win32Exception)
        {
            return Fail(ExitFailed, e.Message);
        }
        finally
        {
            if (host is not null)
            {
                AnsiConsole.MarkupLine("[grey]Stopping the app, the stand-ins and Azurite…[/]");
                try
                {
                    await host.DisposeAsync().ConfigureAwait(false);
                    AnsiConsole.MarkupLine("[grey]Stopped.[/]");
                }
                catch (AggregateException e)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]{e.Message} {string.Join(" ", e.InnerExceptions.Select(x => x.Message))}[/]");
                }
            }
        }
    }

    private static void Render(LocalCloudHost host)
    {
        var table = new Table().RoundedBorder().AddColumn("Service").AddColumn("URL").AddColumn("Notes");
        foreach (var e in host.Endpoints)
        {
            table.AddRow(Markup.Escape(e.Service), $"[link]{Markup.Escape(e.Url)}[/]", Markup.Escape(e.Note));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"Admin key ([grey]x-cartcall-admin-key[/]): [yellow]{host.Secrets.AdminKey}[/]");
        AnsiConsole.MarkupLineInterpolated($"Keys for this run are in [grey]infra/.run/local-cloud.json[/] (git-ignored); try [bold]cartcall-local simulate[/] in another terminal.");
        AnsiConsole.MarkupLine("Press [bold]Ctrl-C[/] to stop everything.");
    }

    private static Command SimulateCommand()
    {
        var url = new Option<string?>("--url") { Description = "The app's base URL (loopback only). Default: the running cartcall-local up, else http://127.0.0.1:7071/." };
        var merchant = new Option<string?>("--merchant") { Description = "Merchant id. Default: the running cartcall-local up's (demo)." };
        var secret = new Option<string?>("--secret") { Description = "The merchant's signing secret. Default: the running cartcall-local up's." };
        var sessions = new Option<int?>("--sessions", "-n") { Description = $"Visits to run (default {SimulationOptions.DefaultSessions} unless --duration is given)." };
        var duration = new Option<string?>("--duration", "-d") { Description = "Run for this long (e.g. 30s, 2m)." };
        var rate = new Option<double>("--rate", "-r") { Description = "Most events per second.", DefaultValueFactory = _ => 50 };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Visits in flight at once.", DefaultValueFactory = _ => 8 };
        var timeScale = new Option<double>("--time-scale") { Description = "Shopper time runs this many times faster (0: no waiting).", DefaultValueFactory = _ => 300 };
        var seed = new Option<int?>("--seed") { Description = "Seed of the shopper model, to repeat a run (default: random, shown in the summary)." };
        var duplicateRate = new Option<double>("--duplicate-rate") { Description = "Share of events sent twice (0-1).", DefaultValueFactory = _ => 0 };
        var outOfOrderRate = new Option<double>("--out-of-order-rate") { Description = "Share of events sent after their successor (0-1).", DefaultValueFactory = _ => 0 };

        var command = new Command("simulate", "Send realistic, signed shopper visits to a merchant's cart-events endpoint and report what came back.");
        foreach (var o in new Option[] { url, merchant, secret, sessions, duration, rate, concurrency, timeScale, seed, duplicateRate, outOfOrderRate })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, ct) =>
        {
            TimeSpan? runFor = null;
            if (parse.GetValue(duration) is { } d)
            {
                if (!Durations.TryParse(d, out var parsed))
                {
                    return Fail(ExitBadArguments, $"--duration '{d}' is not a duration (e.g. 30s, 2m, 00:05:00).");
                }

                runFor = parsed;
            }

            LocalCloudSession? running = null;
            try
            {
                running = LocalCloudSession.TryRead(RepositoryLayout.Find().SessionFile);
            }
            catch (DirectoryNotFoundException)
            {
                // Outside a checkout: everything must come from the options.
            }

            var target = parse.GetValue(url) is { } u ? (Uri.TryCreate(u, UriKind.Absolute, out var parsedUrl) ? parsedUrl : null) : running?.AppUrl ?? new Uri("http://127.0.0.1:7071/");
            if (target is null)
            {
                return Fail(ExitBadArguments, $"--url '{parse.GetValue(url)}' is not an absolute URL.");
            }

            var options = new SimulationOptions
            {
                AppUrl = target,
                MerchantId = parse.GetValue(merchant) ?? running?.MerchantId ?? "demo",
                SigningSecret = parse.GetValue(secret) ?? running?.MerchantSigningSecret ?? "",
                Sessions = parse.GetValue(sessions),
                Duration = runFor,
                Rate = parse.GetValue(rate),
                Concurrency = parse.GetValue(concurrency),
                TimeScale = parse.GetValue(timeScale),
                Seed = parse.GetValue(seed) ?? Random.Shared.Next(),
                DuplicateRate = parse.GetValue(duplicateRate),
                OutOfOrderRate = parse.GetValue(outOfOrderRate),
                Generator = new ShopperSessionGeneratorOptions { StoreUrl = running?.StorefrontUrl ?? new ShopperSessionGeneratorOptions().StoreUrl },
            };
            return await SimulateAsync(options, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the simulator with a progress display and prints the summary. Refuses bad options (and non-loopback targets) with exit code 2.</summary>
    public static async Task<int> SimulateAsync(SimulationOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { Count: > 0 } problems)
        {
            return Fail(ExitBadArguments, string.Join(" ", problems));
        }

        var simulator = new ShopperSimulator(options);
        AnsiConsole.MarkupLineInterpolated(
            $"Simulating shoppers of [bold]{options.MerchantId}[/] against {options.AppUrl} (seed {options.Seed}, {options.Concurrency} at once, ≤{options.Rate:0.#} events/s, time ×{options.TimeScale:0.#})");
        SimulationSummary summary;
        try
        {
            summary = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var progress = simulator.Progress;
                    var bar = ctx.AddTask("visits", maxValue: progress.SessionTarget ?? Math.Max(1, options.Duration!.Value.TotalSeconds));
                    var started = DateTime.UtcNow;
                    var run = simulator.RunAsync(ct);
                    while (!run.IsCompleted)
                    {
                        await Task.WhenAny(run, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
                        progress = simulator.Progress;
                        bar.Value = progress.SessionTarget is null ? (DateTime.UtcNow - started).TotalSeconds : progress.SessionsFinished;
                        bar.Description = string.Create(CultureInfo.InvariantCulture,
                            $"visits {progress.SessionsFinished}/{progress.SessionsStarted} · events {progress.EventsSent} · offers {progress.OffersProposed}");
                    }

                    bar.Value = bar.MaxValue;
                    return await run.ConfigureAwait(false);
                }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            AnsiConsole.MarkupLine("[yellow]Stopped.[/]");
            return ExitOk;
        }

        RenderSummary(summary);
        return summary.EventsSent > 0 && summary.Accepted > 0 ? ExitOk : ExitFailed;
    }

    private static void RenderSummary(SimulationSummary s)
    {
        string N(double v) => v.ToString("#,0", CultureInfo.InvariantCulture);
        string Ms(double v) => v.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        var table = new Table().RoundedBorder().AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
        table.AddRow("Visits finished / started", $"{N(s.SessionsFinished)} / {N(s.SessionsStarted)}");
        table.AddRow("  completed orders / abandoned", $"{N(s.SessionsCompleted)} / {N(s.SessionsAbandoned)}");
        table.AddRow("Events sent", N(s.EventsSent));
        table.AddRow("Accepted (202)", N(s.Accepted));
        table.AddRow("  of which duplicates", N(s.Duplicates));
        table.AddRow("4xx", s.ClientErrors == 0 ? "0" : $"[red]{N(s.ClientErrors)}[/]");
        table.AddRow("5xx", s.ServerErrors == 0 ? "0" : $"[red]{N(s.ServerErrors)}[/]");
        table.AddRow("No answer", s.TransportErrors == 0 ? "0" : $"[red]{N(s.TransportErrors)}[/]");
        table.AddRow("Offers proposed", N(s.OffersProposed));
        table.AddRow("Latency p50 / p95 / p99", $"{Ms(s.Latency.P50Ms)} / {Ms(s.Latency.P95Ms)} / {Ms(s.Latency.P99Ms)}");
        table.AddRow("Latency max", Ms(s.Latency.MaxMs));
        table.AddRow("Elapsed", s.Elapsed.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture));
        table.AddRow("Events/s", s.EventsPerSecond.ToString("0.0", CultureInfo.InvariantCulture));
        table.AddRow("Seed", s.Seed.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        foreach (var error in s.SampleErrors)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]•[/] {error}");
        }
    }

    private static Command PackageCommand()
    {
        var output = new Option<string?>("--output", "-o") { Description = "Zip to write (default artifacts/cartcall-functions.zip)." };
        var prebuilt = new Option<string?>("--prebuilt") { Description = "Pack this already published app folder instead of running dotnet publish." };
        var configuration = new Option<string>("--configuration", "-c") { Description = "Build configuration to publish.", DefaultValueFactory = _ => "Release" };
        var runtime = new Option<string?>("--runtime", "-r") { Description = "Publish for this runtime (e.g. linux-x64, for ReadyToRun). Default: portable, framework-dependent." };
        var noBuild = new Option<bool>("--no-build") { Description = "Publish the last build of the configuration instead of building again." };
        var command = new Command("package", "Build the zip Flex Consumption deploys: the isolated worker's dotnet publish output (host.json, functions.metadata, worker.config.json, .azurefunctions) at its root.");
        command.Options.Add(output);
        command.Options.Add(prebuilt);
        command.Options.Add(configuration);
        command.Options.Add(runtime);
        command.Options.Add(noBuild);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var layout = RepositoryLayout.Find();
                var zip = await AnsiConsole.Status().StartAsync("Publishing and packing the app…", _ => FunctionPackage.BuildAsync(new PackageOptions
                {
                    RepositoryRoot = layout.Root,
                    OutputZipPath = parse.GetValue(output) ?? Path.Combine(layout.ArtifactsDirectory, "cartcall-functions.zip"),
                    PrebuiltAppDirectory = parse.GetValue(prebuilt),
                    Configuration = parse.GetValue(configuration) ?? "Release",
                    RuntimeIdentifier = parse.GetValue(runtime),
                    NoBuild = parse.GetValue(noBuild),
                }, ct)).ConfigureAwait(false);
                AnsiConsole.MarkupLineInterpolated($"[green]Wrote[/] {zip} ({new FileInfo(zip).Length / 1024.0:0} KB)");
                return ExitOk;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or TimeoutException)
            {
                return Fail(ExitFailed, e.Message);
            }
        });
        return command;
    }

    private static void Say(string line) => AnsiConsole.MarkupLineInterpolated($"[grey]•[/] {line}");

    private static void ShowOutput(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0)
        {
            return;
        }

        AnsiConsole.MarkupLine("[grey]Last output:[/]");
        foreach (var line in lines)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]  {line}[/]");
        }
    }

    private static int Fail(int code, string message)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{message}[/]");
        return code;
    }
}

/// <summary>Durations as people type them: <c>90</c> or <c>90s</c>, <c>500ms</c>, <c>5m</c>, <c>1h</c>, or <c>00:01:30</c>.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value > TimeSpan.Zero;
        }

        var (number, unit) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !(amount > 0) || amount * unit > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }
}
