using System.Globalization;
using System.IO.Compression;
using System.Text;
using CartCall.Browser.Tests.Calling;
using CartCall.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CartCall.Browser.Tests.Measure;

/// <summary>
/// Browser call on the local path: from the stand-in's create-call to the first frame in which the shopper's page hears
/// the agent's tone, over 20 calls; and the sizes of the widget and its calling files, raw and gzipped. Writes
/// artifacts/bench/voice.md. Asserts that every call carried the agent's audio to the shopper; never asserts timings.
/// </summary>
[Collection(CallingCollection.Name)]
[Trait("Category", "Measure")]
public sealed class VoiceLatencyMeasure(CallingRig rig, ITestOutputHelper output)
{
    private const int Calls = 20;

    [Fact]
    public async Task CreateCallToShopperHearsTheAgent_LocalPath_Over20Calls_AndTheCallingFileSizes()
    {
        var shopper = await rig.App.CreateUserAsync();
        var shop = await SoftphoneAsync(rig.ShopperBrowser, shopper.Token);
        var agent = await SoftphoneAsync(rig.AgentBrowser, rig.App.Agent.Token);
        await shop.EvaluateAsync($"() => {{ window.__expectHz = {CallingRig.AgentHz}; }}");

        var samples = new List<Sample>();
        for (var i = 0; i < Calls; i++)
        {
            var call = await rig.App.PlaceCallAsync(shopper.UserId);
            var heardAt = await WaitForAsync(shop, "() => window.__heardAt", TimeSpan.FromSeconds(20));
            var standIn = rig.Acs.Calls.Single(c => c.CallConnectionId == call.Connection);
            DateTimeOffset? At(string text) => standIn.Timeline.FirstOrDefault(t => t.Text.StartsWith(text, StringComparison.Ordinal))?.At;
            samples.Add(new Sample(
                standIn.CreatedAt,
                At(shopper.UserId + " answered"),
                At("relaying media signalling"),
                DateTimeOffset.FromUnixTimeMilliseconds((long)heardAt)));

            // Hang up from the shopper's side; the stub app ends the call; both pages are idle before the next call.
            await shop.EvaluateAsync("() => window.phoneCall.hangUp()");
            await call.Ended.Task.WaitAsync(TimeSpan.FromSeconds(15));
            await WaitForAsync(agent, "() => window.phoneCall && window.phoneCall.state === 'ended' ? 1 : 0", TimeSpan.FromSeconds(15));
            await shop.EvaluateAsync("() => { window.__heardAt = 0; }");
        }

        Assert.Equal(Calls, samples.Count);
        Assert.All(samples, s => Assert.True(s.Heard > s.Created, "the shopper heard the agent before the call existed: clocks or bookkeeping are wrong"));
        Assert.All(samples, s => Assert.NotNull(s.Paired));
        await WriteReportAsync(samples);
        await shop.Context.CloseAsync();
        await agent.Context.CloseAsync();
    }

    private async Task<IPage> SoftphoneAsync(IBrowser browser, string token)
    {
        var page = await CallingRig.NewPageAsync(browser);
        await page.GotoAsync(new Uri(rig.App.Url, "softphone").AbsoluteUri);
        await page.EvaluateAsync("o => startPhone(o)", new { token, signalingUrl = rig.Acs.SignalingUri.AbsoluteUri, processing = false });
        return page;
    }

    private static async Task<double> WaitForAsync(IPage page, string expression, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await page.EvaluateAsync<double>(expression);
            if (value > 0) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{expression} stayed 0 for {timeout.TotalSeconds:0} s.");
            await Task.Delay(20);
        }
    }

    private async Task WriteReportAsync(List<Sample> samples)
    {
        var inv = CultureInfo.InvariantCulture;
        var total = samples.Select(s => (s.Heard - s.Created).TotalMilliseconds).Order().ToList();
        var answered = samples.Where(s => s.ShopperAnswered is not null).Select(s => (s.ShopperAnswered!.Value - s.Created).TotalMilliseconds).Order().ToList();
        var paired = samples.Where(s => s.Paired is not null).Select(s => (s.Paired!.Value - s.Created).TotalMilliseconds).Order().ToList();
        var media = samples.Where(s => s.Paired is not null).Select(s => (s.Heard - s.Paired!.Value).TotalMilliseconds).Order().ToList();

        var md = new StringBuilder();
        md.AppendLine("# Browser call, local path: create-call → the shopper hears the agent");
        md.AppendLine();
        md.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `{nameof(VoiceLatencyMeasure)}` (tests/CartCall.Browser.Tests, `Category=Measure`).");
        md.AppendLine(inv, $"{Calls} calls, one after another, through the ACS stand-in on loopback: a stub of the app places the call to the shopper's ACS identity, the shopper's page (the `local` calling adapter) answers at once, the stub adds the agent on CallConnected, the agent's page answers at once, the stand-in pairs the two pages, they exchange SDP and loopback ICE through it and audio peer to peer.");
        md.AppendLine(inv, $"Two headless Chromium instances with fake microphones ({CallingRig.ShopperHz} Hz shopper, {CallingRig.AgentHz} Hz agent). Start = the stand-in's create-call (its call's CreatedAt); end = the first analyser frame in the shopper's page with the agent's tone above −70 dB (polled every 5 ms, `Date.now()`). Same machine clock. Pages answer instantly: a person answering adds their own seconds. Shared 2-core machine: noisy.");
        md.AppendLine();
        md.AppendLine("| leg | n | p50 ms | p90 ms | p99 ms | max ms |");
        md.AppendLine("|---|---|---|---|---|---|");
        Row(md, "create-call → shopper hears the agent (total)", total);
        Row(md, "create-call → shopper's page answered", answered);
        Row(md, "create-call → agent answered, pages paired (CallConnected, add participant, ring, answer)", paired);
        Row(md, "pages paired → first audible frame (SDP, ICE, DTLS, Opus)", media);
        md.AppendLine();
        md.AppendLine("p99 of 20 samples is the slowest sample or next to it.");
        md.AppendLine();
        md.AppendLine("## Sizes");
        md.AppendLine();
        md.AppendLine("| file | when it loads | raw bytes | gzipped bytes |");
        md.AppendLine("|---|---|---|---|");
        var widget = Path.Combine(RepoPaths.Root, "functions", "widget");
        SizeRow(md, Path.Combine(widget, "cartcall.js"), "every store page (the base widget)");
        SizeRow(md, Path.Combine(widget, "cartcall-calling.js"), "a browser call is chosen (adapters, call panel)");
        SizeRow(md, Path.Combine(widget, "agent-calling.js"), "the agent's page");
        SizeRow(md, Path.Combine(widget, "dist", "cartcall-calling-acs.js"), "a browser call on the `acs` adapter (Calling SDK 2.0.0, esbuild, minified)");
        md.AppendLine();
        md.AppendLine("gzip at the smallest-size level (.NET GZipStream, CompressionLevel.SmallestSize).");

        var folder = Path.Combine(RepoPaths.Root, "artifacts", "bench");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "voice.md"), md.ToString());
        output.WriteLine(md.ToString());
    }

    private static void SizeRow(StringBuilder md, string path, string when)
    {
        if (!File.Exists(path))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {Path.GetFileName(path)} | {when} | missing | – |");
            return;
        }

        var bytes = File.ReadAllBytes(path);
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(bytes);
        md.AppendLine(CultureInfo.InvariantCulture, $"| {Path.GetFileName(path)} | {when} | {bytes.Length:N0} | {zipped.Length:N0} |");
    }

    private static void Row(StringBuilder md, string leg, List<double> sorted)
    {
        if (sorted.Count == 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {leg} | 0 | – | – | – | – |");
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {leg} | {sorted.Count} | {Percentile(sorted, 50):0} | {Percentile(sorted, 90):0} | {Percentile(sorted, 99):0} | {sorted[^1]:0} |");
    }

    // Nearest-rank percentile of an ascending list.
    private static double Percentile(List<double> sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];

    private sealed record Sample(DateTimeOffset Created, DateTimeOffset? ShopperAnswered, DateTimeOffset? Paired, DateTimeOffset Heard);
}
