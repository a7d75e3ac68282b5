using CartCall.Browser.Tests.BrowserSupport;
using CartCall.LocalCloud.Acs;
using Microsoft.Playwright;

namespace CartCall.Browser.Tests.Calling;

/// <summary>
/// Browser calls on loopback without the app: the ACS stand-in (issued identities answer in their pages), the
/// <see cref="StubCartCallApp"/>, and one Chromium per side with fake media: the shopper's microphone plays a
/// 440 Hz tone, the agent's 880 Hz, so each side's received audio shows whose voice it is.
/// </summary>
public sealed class CallingRig : IAsyncLifetime
{
    public const int ShopperHz = 440;
    public const int AgentHz = 880;

    private IPlaywright? _playwright;

    public AcsStandIn Acs { get; private set; } = null!;

    public StubCartCallApp App { get; private set; } = null!;

    public IBrowser ShopperBrowser { get; private set; } = null!;

    public IBrowser AgentBrowser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Acs = await AcsStandIn.StartAsync(
            new AcsStandInOptions { IssuedUserParty = PartyScript.InBrowser(), RingTimeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);
        App = await StubCartCallApp.StartAsync(Acs);
        _playwright = await Playwright.CreateAsync();
        ShopperBrowser = await LaunchAsync(ShopperHz);
        AgentBrowser = await LaunchAsync(AgentHz);
    }

    /// <summary>A Chromium whose fake microphone plays <paramref name="toneHz"/>; null: no fake media and prompts denied.</summary>
    public Task<IBrowser> LaunchAsync(int? toneHz)
    {
        if (!File.Exists(Chromium.ExecutablePath))
        {
            throw new InvalidOperationException($"The browser tests drive Debian's Chromium at {Chromium.ExecutablePath}; install the chromium package.");
        }

        List<string> args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
            // WebRTC on 127.0.0.1 only: loopback host candidates (the stand-in relays nothing else).
            "--allow-loopback-in-peer-connection",
        ];
        if (toneHz is { } hz)
        {
            args.AddRange(["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--use-file-for-fake-audio-capture=" + ToneWav.Write(hz)]);
        }
        else
        {
            args.AddRange(["--use-fake-device-for-media-stream", "--deny-permission-prompts"]);
        }

        return _playwright!.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Headless = true,
            Args = args,
            Timeout = 60_000,
        });
    }

    /// <summary>A fresh context and page in <paramref name="browser"/> with the listening harness.</summary>
    public static async Task<IPage> NewPageAsync(IBrowser browser, int width = 1280, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        await context.AddInitScriptAsync(CallingPages.ListeningHarness);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    public async Task DisposeAsync()
    {
        if (ShopperBrowser is not null) await ShopperBrowser.CloseAsync();
        if (AgentBrowser is not null) await AgentBrowser.CloseAsync();
        _playwright?.Dispose();
        if (App is not null) await App.DisposeAsync();
        if (Acs is not null) await Acs.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CallingCollection : ICollectionFixture<CallingRig>
{
    public const string Name = "Browser calls";
}
