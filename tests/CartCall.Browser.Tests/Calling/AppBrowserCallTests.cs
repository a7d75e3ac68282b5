using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Domain.Calls;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Calls;
using CartCall.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Calling;

/// <summary>
/// A browser call through the real app (<see cref="CartCallLoop"/>: the app on the local Functions host, the
/// orchestration, the ACS stand-in's signalling): the shopper accepts a browser call in the demo store, the workspace
/// agent answers in the agent workspace, each side's received audio is measured, and hanging up ends both pages and
/// the app's call record. One Chromium per side with a fake microphone tone (shopper 440 Hz, agent 880 Hz).
/// Screenshots of the workspace at 1280 and 820 px are kept under artifacts/screenshots/agent-workspace.
/// </summary>
[Collection(LoopCollection.Name)]
public sealed class AppBrowserCallTests(CartCallLoop loop) : IAsyncLifetime
{
    private const string Talking = "Connected. You can talk now.";
    private const string Ended = "The call has ended.";

    private IPlaywright? _playwright;
    private IBrowser _shopperBrowser = null!;
    private IBrowser _agentBrowser = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _shopperBrowser = await LaunchWithToneAsync(_playwright, CallingRig.ShopperHz);
        _agentBrowser = await LaunchWithToneAsync(_playwright, CallingRig.AgentHz);
    }

    public async Task DisposeAsync()
    {
        // The workspace agent goes back to away, so other tests' calls go to the scripted phone agent.
        using (var agent = AgentClient())
        {
            await agent.PutAsJsonAsync("api/agent/me", new { available = false });
        }

        if (_shopperBrowser is not null) await _shopperBrowser.CloseAsync();
        if (_agentBrowser is not null) await _agentBrowser.CloseAsync();
        _playwright?.Dispose();
    }

    [Fact]
    public async Task ShopperAcceptsABrowserCallInTheStore_AgentAnswersInTheWorkspace_VoiceFlowsBothWays_HangUpEndsBothPagesAndTheCallRecord()
    {
        var shots = new Shots();

        // The agent signs in with their key (from the link's fragment) and makes themselves available.
        var agent = await NewPageAsync(_agentBrowser, 1280, 900);
        await agent.GotoAsync(new Uri(loop.AppUrl, "api/agent/workspace").AbsoluteUri + "#key=" + loop.WorkspaceKey);
        var state = agent.Locator("#state");
        await Expect(state).ToContainTextAsync("Away");
        Assert.DoesNotContain("key=", agent.Url, StringComparison.Ordinal);
        await agent.GetByLabel("Echo cancellation and noise suppression").UncheckAsync();
        await agent.GetByRole(AriaRole.Button, new() { Name = "Go available" }).ClickAsync();
        await Expect(state).ToContainTextAsync("Available");
        await Expect(agent.Locator(".cc-agent-status")).ToHaveTextAsync("Ready to take calls in this browser.");
        await shots.BothWidthsAsync(agent, "available");

        // The shopper builds a cart, goes quiet in checkout, is offered a call and takes it in the browser.
        var shop = await NewPageAsync(_shopperBrowser, 1100, 800);
        await shop.GotoAsync(loop.Store.Url.AbsoluteUri);
        await shop.GetByRole(AriaRole.Button, new() { Name = "Add Barista Pro espresso machine to cart" }).ClickAsync();
        await Expect(shop.Locator("#cart-count")).ToHaveTextAsync("1");
        await shop.GotoAsync(new Uri(loop.Store.Url, "checkout").AbsoluteUri);
        await shop.EvaluateAsync($"() => {{ window.__expectHz = {CallingRig.AgentHz}; }}");
        var dialog = shop.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
        await dialog.GetByLabel("Call me in the browser").CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();

        // The workspace rings, with the cart, the score and reasons, the shopper's language and mode.
        var answer = agent.GetByRole(AriaRole.Button, new() { Name = "Answer" });
        await Expect(answer).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(state).ToContainTextAsync("Ringing");
        var details = agent.Locator("#call-details");
        await Expect(details).ToContainTextAsync("Barista Pro espresso machine");
        await Expect(details).ToContainTextAsync("Browser call");
        await Expect(details).ToContainTextAsync("English");
        await Expect(details).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Total \$[0-9,]+\.[0-9]{2}"));
        await Expect(details).ToContainTextAsync("%");
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync("Waiting for the other side to join…");
        await shots.BothWidthsAsync(agent, "ringing");

        await answer.ClickAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync(Talking);
        await Expect(agent.Locator(".cc-agent-call .cc-status")).ToHaveTextAsync(Talking);
        await Expect(state).ToContainTextAsync("On a call");
        var callId = await CallOfAgentAsync();
        var record = await WaitForCallAsync(callId, c => c.Status == CallStatus.Connected && c.AgentId == CartCallLoop.WorkspaceAgentId);
        Assert.Equal(CallMode.Browser, record.Mode);

        // Voice both ways: each side hears the other's tone, tens of dB above the rest of the spectrum.
        var shopperHears = await BandAsync(shop, CallingRig.AgentHz);
        var shopperFloor = await BandAsync(shop, 2500);
        var agentHears = await BandAsync(agent, CallingRig.ShopperHz);
        var agentFloor = await BandAsync(agent, 2500);
        Assert.True(shopperHears > -60 && shopperHears - shopperFloor > 30, $"shopper hears {shopperHears:0} dB at {CallingRig.AgentHz} Hz, {shopperFloor:0} dB at 2500 Hz");
        Assert.True(agentHears > -60 && agentHears - agentFloor > 30, $"agent hears {agentHears:0} dB at {CallingRig.ShopperHz} Hz, {agentFloor:0} dB at 2500 Hz");

        // The agent mutes in the workspace: the shopper hears digital silence where the agent's tone was.
        var mute = agent.GetByRole(AriaRole.Button, new() { Name = "Mute microphone" });
        await mute.ClickAsync();
        await Expect(mute).ToHaveAttributeAsync("aria-pressed", "true");
        var muted = await BandUntilAsync(shop, CallingRig.AgentHz, db => db < -100);
        Assert.True(muted < -100, $"the shopper still hears {muted:0} dB at {CallingRig.AgentHz} Hz with the agent muted");
        await shots.BothWidthsAsync(agent, "on-a-call-muted");
        await mute.ClickAsync();
        Assert.True(await BandUntilAsync(shop, CallingRig.AgentHz, db => db > -60) > -60, "unmuted, the shopper does not hear the agent again");

        // The shopper hangs up: both pages end, and so does the app's call record.
        await shop.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync(Ended);
        await Expect(agent.Locator(".cc-agent-call .cc-status")).ToHaveTextAsync(Ended);
        var ended = await WaitForCallAsync(callId, c => c.IsOver);
        Assert.Equal(CallStatus.Ended, ended.Status);
        Assert.Equal(CallOutcomes.Completed, ended.Outcome);

        // The agent writes the call up; it is stored with the call and shown in today's calls.
        var outcome = agent.GetByLabel("Outcome");
        await Expect(outcome).ToBeFocusedAsync();
        await outcome.SelectOptionAsync("sale");
        await agent.GetByLabel("Note").FillAsync("Bought the machine; wants descaler.");
        await agent.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var row = agent.Locator($"#today tr[data-call-id='{callId}']");
        await Expect(row).ToContainTextAsync("Sale");
        await Expect(row).ToContainTextAsync("Ended");
        await Expect(row).ToContainTextAsync("Browser call");
        var stored = await loop.AppServices.GetRequiredService<TableCallStore>().GetDispositionAsync(callId, CancellationToken.None);
        Assert.Equal(DispositionOutcome.Sale, stored!.Outcome);
        Assert.Equal("Bought the machine; wants descaler.", stored.Note);
        await Expect(state).ToContainTextAsync(new System.Text.RegularExpressions.Regex("Wrap-up|Available"));
        await shots.BothWidthsAsync(agent, "after-the-call");
        await agent.SetViewportSizeAsync(820, 1000);
        Assert.True(await agent.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"), "the workspace overflows sideways at 820 px");
        await shop.Context.CloseAsync();
        await agent.Context.CloseAsync();
    }

    private HttpClient AgentClient()
    {
        var client = loop.AppClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", loop.WorkspaceKey);
        return client;
    }

    /// <summary>The call holding the workspace agent, as the app's agent API tells it.</summary>
    private async Task<string> CallOfAgentAsync()
    {
        using var agent = AgentClient();
        var me = await agent.GetFromJsonAsync<JsonObject>("api/agent/me");
        return me!["agent"]!["callId"]!.GetValue<string>();
    }

    private async Task<CallRecord> WaitForCallAsync(string callId, Func<CallRecord, bool> done)
    {
        var calls = loop.AppServices.GetRequiredService<TableCallStore>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        CallRecord? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await calls.GetAsync(callId, CancellationToken.None);
            if (last is not null && done(last)) return last;
            await Task.Delay(100);
        }

        throw new TimeoutException($"Call {callId} stayed {last?.Status}/{last?.Outcome}.");
    }

    internal static Task<IBrowser> LaunchWithToneAsync(IPlaywright playwright, int toneHz) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium.ExecutablePath,
        Headless = true,
        Timeout = 60_000,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
            "--allow-loopback-in-peer-connection",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--use-file-for-fake-audio-capture=" + ToneWav.Write(toneHz),
        ],
    });

    internal static async Task<IPage> NewPageAsync(IBrowser browser, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "en-US",
            TimezoneId = "Europe/London",
        });
        await context.AddInitScriptAsync(CallingPages.ListeningHarness);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    private static Task<double> BandAsync(IPage page, int hz) => page.EvaluateAsync<double>("hz => window.__band(hz)", hz);

    private static async Task<double> BandUntilAsync(IPage page, int hz, Func<double, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (true)
        {
            var db = await BandAsync(page, hz);
            if (done(db) || DateTime.UtcNow > deadline) return db;
        }
    }

    /// <summary>Screenshots of the workspace at a laptop's and a tablet's width, kept under artifacts/screenshots/agent-workspace.</summary>
    private sealed class Shots
    {
        private readonly string _folder = Path.Combine(RepoPaths.Root, "artifacts", "screenshots", "agent-workspace");
        private int _step;

        public Shots() => Directory.CreateDirectory(_folder);

        public async Task BothWidthsAsync(IPage page, string step)
        {
            var size = page.ViewportSize!;
            _step++;
            foreach (var width in new[] { 1280, 820 })
            {
                await page.SetViewportSizeAsync(width, 1000);
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_folder, $"{_step:00}-{step}-{width}.png"), FullPage = true });
                Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"), $"the workspace overflows sideways at {width} px ({step})");
            }

            await page.SetViewportSizeAsync(size.Width, size.Height);
        }
    }
}
