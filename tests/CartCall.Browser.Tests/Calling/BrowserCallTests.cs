using CartCall.Browser.Tests.BrowserSupport;
using CartCall.LocalCloud.Acs;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Calling;

/// <summary>
/// A browser call on the local path, end to end in two Chromium instances: the shopper accepts in the widget, the
/// stand-in rings the shopper's page, the (stub) app adds the agent, the agent answers in the agent calling component,
/// and each side's received audio is measured: the other side's tone, far above silence, both ways.
/// </summary>
[Collection(CallingCollection.Name)]
public sealed class BrowserCallTests(CallingRig rig)
{
    private const string Talking = "Connected. You can talk now.";
    private const string Ended = "The call has ended.";

    [Fact]
    public async Task ShopperAcceptsABrowserCall_VoiceFlowsBothWays_MuteSilencesTheMutedSide_AndHangingUpEndsBothPagesAndTheCall()
    {
        var shots = new StepShots();
        var (shop, agent, call) = await ConnectAsync(shots);

        // Voice both ways: each side hears the other's tone, tens of dB above the rest of the spectrum.
        var shopperHears = await BandAsync(shop, CallingRig.AgentHz);
        var shopperFloor = await BandAsync(shop, 2500);
        var agentHears = await BandAsync(agent, CallingRig.ShopperHz);
        var agentFloor = await BandAsync(agent, 2500);
        Assert.True(shopperHears > -60 && shopperHears - shopperFloor > 30, $"shopper hears {shopperHears:0} dB at {CallingRig.AgentHz} Hz, {shopperFloor:0} dB at 2500 Hz");
        Assert.True(agentHears > -60 && agentHears - agentFloor > 30, $"agent hears {agentHears:0} dB at {CallingRig.ShopperHz} Hz, {agentFloor:0} dB at 2500 Hz");
        // The harness's diagnostics, which a measure prints when a tone never comes, describe this working call truly.
        using (var seen = System.Text.Json.JsonDocument.Parse(await shop.EvaluateAsync<string>("() => window.__diagnose()")))
        {
            var pc = seen.RootElement.GetProperty("pcs").EnumerateArray().First(p => p.GetProperty("connection").GetString() == "connected");
            Assert.Contains(pc.GetProperty("rtp").EnumerateArray(), r => r.GetProperty("type").GetString() == "inbound-rtp" && r.GetProperty("packetsReceived").GetInt64() > 0);
            Assert.Equal("running", seen.RootElement.GetProperty("audio").GetString());
        }

        // Screenshots of the shopper's call UI at a laptop's and a phone's width.
        await shots.TakeAsync(shop, "call-1280");
        await shop.SetViewportSizeAsync(390, 844);
        await shots.TakeAsync(shop, "call-390");
        Assert.True(await shop.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"), "the page overflows sideways at 390 px");
        await shop.SetViewportSizeAsync(1280, 800);

        // Mute: the agent hears digital silence where the shopper's tone was; the app is told through ParticipantsUpdated.
        var mute = shop.GetByRole(AriaRole.Button, new() { Name = "Mute microphone" });
        await mute.ClickAsync();
        await Expect(mute).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(shop.Locator("#cartcall-widget [aria-live=polite]")).ToHaveTextAsync("Your microphone is off.");
        var muted = await BandUntilAsync(agent, CallingRig.ShopperHz, db => db < -100);
        Assert.True(muted < -100, $"the agent still hears {muted:0} dB at {CallingRig.ShopperHz} Hz with the shopper muted");
        Assert.True((await BandAsync(shop, CallingRig.AgentHz)) > -60, "muting the shopper silenced the agent too");
        Assert.True((await PartyAsync(call, call.ShopperUserId, p => p.Muted)).Muted);
        await shots.TakeAsync(shop, "muted");
        await mute.ClickAsync();
        await Expect(mute).ToHaveAttributeAsync("aria-pressed", "false");
        var back = await BandUntilAsync(agent, CallingRig.ShopperHz, db => db > -60);
        Assert.True(back > -60, $"unmuted, the agent hears only {back:0} dB");

        // The shopper hangs up: both pages end, and the stand-in ends the call and tells the app.
        await shop.GetByRole(AriaRole.Button, new() { Name = "Hang up" }).ClickAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync(Ended);
        await Expect(agent.Locator(".cc-agent-call .cc-status")).ToHaveTextAsync(Ended);
        await shots.TakeAsync(shop, "ended");
        await call.Ended.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("ended", call.Status);
        Assert.Equal("disconnected", rig.Acs.Calls.Single(c => c.CallConnectionId == call.Connection).State);
        Assert.Contains("CallDisconnected", call.Events);
        Assert.Contains("AddParticipantSucceeded", call.Events);
        await Expect(shop.GetByRole(AriaRole.Button, new() { Name = "Close" })).ToBeFocusedAsync();
        await shop.Context.CloseAsync();
        await agent.Context.CloseAsync();
    }

    [Fact]
    public async Task AgentHangsUpFromTheKeyboard_EndsTheShoppersPageAndTheCall()
    {
        var shots = new StepShots();
        var (shop, agent, call) = await ConnectAsync(shots);

        // Answering moved focus to the agent's hang-up button: Enter ends the call.
        await Expect(agent.GetByRole(AriaRole.Button, new() { Name = "Hang up" })).ToBeFocusedAsync();
        await agent.Keyboard.PressAsync("Enter");
        await Expect(agent.Locator(".cc-agent-call .cc-status")).ToHaveTextAsync(Ended);
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync(Ended);
        await shots.TakeAsync(shop, "ended-by-agent");
        await call.Ended.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("ended", call.Status);
        var standIn = rig.Acs.Calls.Single(c => c.CallConnectionId == call.Connection);
        Assert.Equal("disconnected", standIn.State);
        Assert.Contains(standIn.Timeline, t => t.Text == $"{rig.App.Agent.UserId} hung up");
        await shop.Context.CloseAsync();
        await agent.Context.CloseAsync();
    }

    [Fact]
    public async Task MicrophoneDenied_OffersAPhoneCallInstead_AndPlacesNoCall()
    {
        var shots = new StepShots();
        await using var denying = await rig.LaunchAsync(toneHz: null);
        var shop = await CallingRig.NewPageAsync(denying);
        var callsBefore = rig.App.Calls.Count;
        await shop.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
        var dialog = shop.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
        await Expect(dialog.GetByLabel("Call me in the browser")).ToBeCheckedAsync();
        await shots.TakeAsync(shop, "explained");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();

        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Without the microphone we cannot talk in the browser. We can call your phone instead.");
        await Expect(dialog.GetByLabel("Call my phone")).ToBeCheckedAsync();
        await Expect(dialog.GetByLabel("Phone number")).ToBeVisibleAsync();
        await shots.TakeAsync(shop, "phone-offered");
        Assert.Equal(callsBefore, rig.App.Calls.Count);
    }

    // ---- steps -----------------------------------------------------------------------------------------------

    /// <summary>Agent page ready; shopper accepts a browser call in the widget; agent answers; both talking.</summary>
    private async Task<(IPage Shop, IPage Agent, StubCall Call)> ConnectAsync(StepShots shots)
    {
        var agent = await CallingRig.NewPageAsync(rig.AgentBrowser);
        await agent.GotoAsync(new Uri(rig.App.Url, "agent").AbsoluteUri);
        await agent.EvaluateAsync("o => startAgent(o)", new
        {
            adapter = "local", token = rig.App.Agent.Token, signalingUrl = rig.Acs.SignalingUri.AbsoluteUri, lang = "en", processing = false,
        });
        await Expect(agent.Locator(".cc-agent-status")).ToHaveTextAsync("Ready to take calls in this browser.");

        var shop = await CallingRig.NewPageAsync(rig.ShopperBrowser);
        var before = rig.App.Calls.Select(c => c.CallId).ToHashSet();
        await shop.GotoAsync(new Uri(rig.App.Url, "shop?lang=en").AbsoluteUri);
        await shop.EvaluateAsync($"() => {{ window.__expectHz = {CallingRig.AgentHz}; }}");
        var dialog = shop.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("$478.00");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
        await Expect(dialog.GetByLabel("Call me in the browser")).ToBeCheckedAsync();
        await Expect(dialog.GetByText("Your browser will ask to use your microphone.")).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();

        // The stand-in rings the agent only once the shopper's page answered; until the agent answers the shopper
        // is told it is waiting, never that it is connected.
        var answer = agent.GetByRole(AriaRole.Button, new() { Name = "Answer" });
        await Expect(answer).ToBeVisibleAsync();
        await Expect(agent.GetByRole(AriaRole.Heading, new() { Name = "Incoming call" })).ToBeVisibleAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync("Waiting for the other side to join…");
        await shots.TakeAsync(shop, "waiting-for-agent");
        await shots.TakeAsync(agent, "agent-ringing");
        var call = rig.App.Calls.Single(c => !before.Contains(c.CallId));

        await answer.ClickAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-status")).ToHaveTextAsync(Talking);
        await Expect(agent.Locator(".cc-agent-call .cc-status")).ToHaveTextAsync(Talking);
        await Expect(shop.GetByRole(AriaRole.Timer)).ToBeVisibleAsync();
        await Expect(shop.Locator("#cartcall-widget .cc-q")).Not.ToHaveAttributeAsync("data-q", "unknown");
        await shots.TakeAsync(agent, "agent-talking");
        return (shop, agent, call);
    }

    /// <summary>The stand-in's view of a party, once <paramref name="done"/> holds (bounded: frames from pages are asynchronous).</summary>
    private async Task<AcsStandInParty> PartyAsync(StubCall call, string rawId, Func<AcsStandInParty, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var party = rig.Acs.Calls.Single(c => c.CallConnectionId == call.Connection).Parties.Last(p => p.RawId == rawId);
            if (done(party) || DateTime.UtcNow > deadline) return party;
            await Task.Delay(50);
        }
    }

    private static Task<double> BandAsync(IPage page, int hz) => page.EvaluateAsync<double>("hz => window.__band(hz)", hz);

    /// <summary>The band's level once <paramref name="done"/> holds, or the last reading after 8 s.</summary>
    private static async Task<double> BandUntilAsync(IPage page, int hz, Func<double, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (true)
        {
            var db = await BandAsync(page, hz);
            if (done(db) || DateTime.UtcNow > deadline) return db;
        }
    }
}
