using System.Net.Http.Json;
using System.Text.Json;
using CartCall.Browser.Tests.BrowserSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Widget;

/// <summary>
/// A merchant's hook that stops a call before it is dialled (a do-not-call list, say): the shopper who asked for the
/// call is told so in the merchant's own words, in the widget, not shown an error.
/// </summary>
[Collection(LoopCollection.Name)]
public sealed class VetoedCallTests(CartCallLoop loop)
{
    private const string Sentence = "You asked us not to call you, so we won't. Write to us any time.";

    [Fact]
    public async Task CallVetoedByTheMerchantsHook_ShowsTheShopperTheMerchantsSentence_AndNothingIsDialled()
    {
        var shots = new StepShots();
        await using var shopper = await ShopperPage.OpenAsync(loop);
        var page = shopper.Page;
        await shopper.BuildCartAndEnterCheckoutAsync();
        var offerId = await shopper.WaitForOfferAsync();
        // The loop's merchant is shared: its hook vetoes this test's session only, and is removed at the end.
        await using var hook = await VetoServer.StartAsync(await shopper.SessionIdAsync(), Sentence);
        var hookId = "veto-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = loop.AdminClient();
        var registered = await admin.PutAsJsonAsync($"/api/merchants/{loop.MerchantId}/hooks/{hookId}", new
        {
            points = new[] { "call.before_dial" },
            kind = "webhook",
            target = hook.Url.AbsoluteUri,
            timeoutMs = 1_500,
            retry = new { maxAttempts = 2, firstIntervalMs = 100, backoffCoefficient = 2.0, maxIntervalMs = 1_000 },
            failureMode = "open",
            enabled = true,
        });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        try
        {
            await shopper.Dialog.GetByRole(AriaRole.Button, new() { Name = "Call me", Exact = true }).ClickAsync();
            var choice = page.GetByRole(AriaRole.Dialog, new() { Name = "How should we call you?" });
            await choice.GetByLabel("Call my phone").CheckAsync();
            await choice.GetByLabel("Phone number").FillAsync("(201) 555-0177");
            await choice.GetByLabel("I agree that this store may call this number").CheckAsync();
            var accepted = page.WaitForResponseAsync(r => r.Url.EndsWith($"/api/offers/{offerId}/accept", StringComparison.Ordinal) && r.Request.Method == "POST");
            await choice.GetByRole(AriaRole.Button, new() { Name = "Call me now" }).ClickAsync();
            var callId = (await (await accepted).JsonAsync())!.Value.GetProperty("callId").GetString()!;

            var status = shopper.Dialog.GetByRole(AriaRole.Status);
            await Expect(status).ToHaveTextAsync(Sentence, new() { Timeout = 30_000 });
            await shots.TakeAsync(page, "vetoed");

            Assert.DoesNotContain(loop.Acs.Calls, c => c.OperationContext == callId);
            Assert.Equal(1, hook.Vetoes);
            Assert.DoesNotContain("vetoed", await status.TextContentAsync() ?? "", StringComparison.Ordinal);
        }
        finally
        {
            await admin.DeleteAsync($"/api/merchants/{loop.MerchantId}/hooks/{hookId}");
        }
    }

    /// <summary>A merchant's webhook on 127.0.0.1: vetoes the one session, lets every other call go ahead.</summary>
    private sealed class VetoServer : IAsyncDisposable
    {
        private readonly WebApplication app;
        private int vetoes;

        private VetoServer(WebApplication app) => this.app = app;

        public Uri Url { get; private set; } = default!;

        public int Vetoes => Volatile.Read(ref vetoes);

        public static async Task<VetoServer> StartAsync(string session, string sentence)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new VetoServer(app);
            app.Run(async context =>
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                var ours = body.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("sessionId", out var id) && id.GetString() == session;
                if (!ours)
                {
                    return; // an empty 200: go ahead
                }

                Interlocked.Increment(ref server.vetoes);
                await context.Response.WriteAsJsonAsync(new { action = "veto", reason = sentence });
            });
            await app.StartAsync();
            server.Url = new Uri(app.Urls.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/hook");
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
