using System.Text.Json;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Widget;

/// <summary>A shopper in their own browser context on the demo store, with what the widget did recorded.</summary>
public sealed class ShopperPage : IAsyncDisposable
{
    // The widget's DOM events, recorded from before any page script runs on every navigation.
    private const string RecordWidgetEvents = """
        window.__cartcall = [];
        for (const name of ['offer-shown', 'offer-dismissed', 'offer-accepted', 'call-status']) {
          addEventListener('cartcall:' + name, (e) => window.__cartcall.push({ name, ...e.detail }));
        }
        """;

    private readonly CartCallLoop _loop;

    private ShopperPage(CartCallLoop loop, IPage page)
    {
        _loop = loop;
        Page = page;
        // What the page's sockets did, for diagnosing a delivery that fell back to polling.
        page.WebSocket += (_, ws) =>
        {
            lock (SocketLog) SocketLog.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} open {ws.Url.Split('?')[0]}");
            ws.FrameReceived += (_, f) => { lock (SocketLog) SocketLog.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} frame {f.Text?[..Math.Min(80, f.Text.Length)]}"); };
            ws.Close += (_, _) => { lock (SocketLog) SocketLog.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} closed"); };
            ws.SocketError += (_, e) => { lock (SocketLog) SocketLog.Add($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} error {e}"); };
        };
    }

    public List<string> SocketLog { get; } = [];

    public IPage Page { get; }

    /// <summary>The widget's dialog, found as assistive technology finds it: by role.</summary>
    public ILocator Dialog => Page.GetByRole(AriaRole.Dialog);

    /// <summary>The widget's polite live region (inside its open shadow root; Playwright's CSS pierces it).</summary>
    public ILocator LiveRegion => Page.Locator("#cartcall-widget [aria-live=polite]");

    public static async Task<ShopperPage> OpenAsync(CartCallLoop loop)
    {
        var page = await loop.NewShopperAsync();
        await page.Context.AddInitScriptAsync(RecordWidgetEvents);
        return new ShopperPage(loop, page);
    }

    /// <summary>Products → add the espresso machine → checkout, then stay still.</summary>
    public async Task BuildCartAndEnterCheckoutAsync()
    {
        await Page.GotoAsync(_loop.Store.Url.AbsoluteUri);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Add Barista Pro espresso machine to cart" }).ClickAsync();
        await Expect(Page.Locator("#cart-count")).ToHaveTextAsync("1");
        await Page.GotoAsync(new Uri(_loop.Store.Url, "checkout").AbsoluteUri);
        await WidgetReadyAsync();
    }

    /// <summary>Waits until the widget script has run (it defines window.CartCall).</summary>
    public Task WidgetReadyAsync() => Page.WaitForFunctionAsync("() => !!(window.CartCall && window.CartCall.sessionId)");

    public async Task<string> SessionIdAsync() => await Page.EvaluateAsync<string>("() => window.CartCall.sessionId");

    /// <summary>The offer dialog, once it appears (bounded: idle delay plus queue, Event Grid and push hops).</summary>
    public async Task<string> WaitForOfferAsync(float timeoutMs = 30_000)
    {
        await Expect(Dialog).ToBeVisibleAsync(new() { Timeout = timeoutMs });
        var shown = await WidgetEventsAsync("offer-shown");
        return shown[^1].GetProperty("offerId").GetString()!;
    }

    public async Task<IReadOnlyList<JsonElement>> WidgetEventsAsync(string name)
    {
        var all = await Page.EvaluateAsync<JsonElement>("() => window.__cartcall || []");
        return all.EnumerateArray().Where(e => e.GetProperty("name").GetString() == name).ToList();
    }

    /// <summary>What the focused element inside the widget's shadow root is (role, else tag, and its text).</summary>
    public Task<string> FocusedInWidgetAsync() => Page.EvaluateAsync<string>("""
        () => {
          const a = document.getElementById('cartcall-widget')?.shadowRoot?.activeElement;
          if (!a) return 'outside:' + (document.activeElement?.name || document.activeElement?.tagName || '');
          return (a.getAttribute('role') || a.tagName.toLowerCase() + (a.type ? ':' + a.type : '')) + '|' + (a.value && a.type !== 'checkbox' && a.type !== 'radio' ? a.value : a.textContent.trim());
        }
        """);

    public async Task<OfferRecord> ServerOfferAsync(string offerId) =>
        await _loop.AppServices.GetRequiredService<TableOfferStore>().GetAsync(offerId, CancellationToken.None)
        ?? throw new InvalidOperationException($"The server has no offer {offerId}.");

    /// <summary>Polls the server's record until it reaches <paramref name="status"/> (bounded); returns the last seen.</summary>
    public async Task<OfferRecord> ServerOfferReachingAsync(string offerId, OfferStatus status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var record = await ServerOfferAsync(offerId);
            if (record.Status == status || DateTime.UtcNow > deadline)
            {
                return record;
            }

            await Task.Delay(100);
        }
    }

    public async Task<IReadOnlyList<StoredDecision>> DecisionsAsync() =>
        await _loop.AppServices.GetRequiredService<ISessionStore>().ListDecisionsAsync(_loop.MerchantId, await SessionIdAsync(), 100, CancellationToken.None);

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();
}
