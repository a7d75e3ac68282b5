using System.Globalization;
using System.Net.Http.Json;
using CartCall.Browser.Tests.BrowserSupport;
using CartCall.Functions.Features.Experiments;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CartCall.Browser.Tests.Experiments;

/// <summary>
/// The merchant's results page in Chromium, over two weeks of an experiment stored as the app stores it: the plots
/// are drawn (conversion in both arms with intervals, incremental margin over time, the funnel), the admin key stays
/// out of the URL, and the same data downloads as CSV and JSON.
/// </summary>
[Collection(LoopCollection.Name)]
public sealed class ResultsPageTests(CartCallLoop loop)
{
    private const int Days = 14;

    [Fact]
    public async Task ResultsPage_PlotsTreatmentAgainstControl_AndOffersTheDataAsCsvAndJson()
    {
        var shots = new StepShots();
        var merchant = await CreateMerchantAsync();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).DateTime);
        await SeedExperimentAsync(merchant, today);

        var context = await loop.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-US",
            TimezoneId = "Europe/London",
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        await page.GotoAsync(new Uri(loop.AppUrl, $"api/merchants/{merchant}/results/page").AbsoluteUri);
        await shots.TakeAsync(page, "asks-for-the-key");

        await page.GetByLabel("Admin key").FillAsync(CartCallLoop.AdminKey);
        await page.GetByLabel("From", new() { Exact = true }).FillAsync(today.AddDays(1 - Days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.GetByLabel("To", new() { Exact = true }).FillAsync(today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Show results" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("Updated");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots.Folder, "results-full.png"), FullPage = true });
        await shots.TakeAsync(page, "results");

        // Headline figures: both arms, the uplift with its interval, margin, calls.
        await Expect(page.Locator("#cards .card")).ToHaveCountAsync(6);
        await Expect(page.Locator("#cards")).ToContainTextAsync("Uplift in conversion");
        await Expect(page.Locator("#cards")).ToContainTextAsync("95% [");
        // The plots: two arms and the difference, a bar per day with its running total, the five funnel steps.
        await Expect(page.Locator("#conversion circle")).ToHaveCountAsync(3);
        await Expect(page.Locator("#margin rect")).ToHaveCountAsync(Days);
        await Expect(page.Locator("#margin polyline")).ToHaveCountAsync(1);
        await Expect(page.Locator("#funnel")).ToContainTextAsync("Converted");
        await Expect(page.Locator("#convtime polyline")).ToHaveCountAsync(2);
        await Expect(page.Locator("#table tbody tr")).ToHaveCountAsync(Days + 1);
        var api = await loop.AdminClient().GetFromJsonAsync<System.Text.Json.Nodes.JsonNode>(
            $"/api/merchants/{merchant}/results?from={today.AddDays(1 - Days):yyyy-MM-dd}&to={today:yyyy-MM-dd}");
        var total = api!["total"]!;
        var offers = total["funnel"]!["offers"]!.GetValue<int>();
        await Expect(page.Locator("#funnel")).ToContainTextAsync(offers.ToString(CultureInfo.InvariantCulture));
        Assert.True(total["conversionDifference"]!["lower"]!.GetValue<double>() > 0, "the seeded uplift should be clear");

        // The key lives in the tab's sessionStorage and in request headers only, never in a URL.
        Assert.Equal(CartCallLoop.AdminKey, await page.EvaluateAsync<string>("sessionStorage.getItem('cc.results.key')"));
        Assert.DoesNotContain(requests, url => url.Contains(CartCallLoop.AdminKey, StringComparison.Ordinal));
        Assert.All(requests.Where(url => url.StartsWith("http", StringComparison.Ordinal)),
            url => Assert.StartsWith(loop.AppUrl.GetLeftPart(UriPartial.Authority), url, StringComparison.Ordinal));

        var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        var csvText = await File.ReadAllTextAsync((await csv.PathAsync())!);
        Assert.StartsWith("from,to,treatment_sessions", csvText, StringComparison.Ordinal);
        Assert.Equal(Days + 2, csvText.TrimEnd().Split('\n').Length);
        var json = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download JSON" }).ClickAsync());
        Assert.Contains("\"conversionDifference\"", await File.ReadAllTextAsync((await json.PathAsync())!), StringComparison.Ordinal);

        // A wrong key is told as such, and draws nothing new.
        await page.GetByLabel("Admin key").FillAsync("not-the-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show results" }).ClickAsync();
        await Expect(page.Locator("#status")).ToContainTextAsync("The admin key was refused.");
        await shots.TakeAsync(page, "wrong-key");
        await context.CloseAsync();
    }

    private async Task<string> CreateMerchantAsync()
    {
        var id = "results-" + Guid.NewGuid().ToString("N")[..8];
        var doc = CartCallLoop.MerchantDocument(id, "pk_test_" + Guid.NewGuid().ToString("N"), "http://127.0.0.1:5173");
        doc["displayName"] = "Brew & Bean";
        doc["experiment"] = new { holdoutShare = 0.5, attributionWindowHours = 24 };
        using var admin = loop.AdminClient();
        (await admin.PutAsJsonAsync($"/api/merchants/{id}", doc)).EnsureSuccessStatusCode();
        return id;
    }

    /// <summary>
    /// Two weeks of offered sessions, half held out, stored through the app's own experiment store: treatment sessions
    /// are shown the offer, some accept, most calls connect and cost 2, and a connected call saves the cart half the time.
    /// Fixed seed.
    /// </summary>
    private async Task SeedExperimentAsync(string merchant, DateOnly today)
    {
        var store = loop.AppServices.GetRequiredService<TableExperimentStore>();
        var random = new Random(20260314);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
        var work = new List<Task>();
        for (var d = 0; d < Days; d++)
        {
            var day = today.AddDays(-d);
            var sessions = 70 + random.Next(40);
            for (var i = 0; i < sessions; i++)
            {
                var local = day.ToDateTime(new TimeOnly(8, 0)).AddMinutes(random.Next(12 * 60));
                var decidedAt = new DateTimeOffset(local, zone.GetUtcOffset(local));
                // Today's sessions lie in the past; the draw is made either way so the seed gives the same sessions at any hour.
                var earlier = random.NextDouble();
                if (decidedAt > DateTimeOffset.UtcNow.AddHours(-2))
                {
                    decidedAt = DateTimeOffset.UtcNow.AddHours(-2 - earlier);
                }

                var treatment = random.NextDouble() < 0.5;
                var shown = treatment && random.NextDouble() < 0.75;
                var accepted = shown && random.NextDouble() < 0.2;
                var connected = accepted && random.NextDouble() < 0.9;
                var converted = random.NextDouble() < 0.15 || (connected && random.NextDouble() < 0.5);
                var value = 120m + random.Next(180);
                var fields = new Dictionary<string, object?>
                {
                    ["Arm"] = treatment ? "treatment" : "control",
                    ["DecidedAt"] = decidedAt,
                    ["Shown"] = shown,
                    ["Accepted"] = accepted,
                    ["Connected"] = connected,
                };
                if (accepted)
                {
                    fields["CallCost"] = "2";
                }

                if (converted)
                {
                    fields["OrderCompletedAt"] = decidedAt.AddMinutes(20);
                    fields["OrderValue"] = TableExperimentStore.Money(value);
                    fields["OrderMargin"] = TableExperimentStore.Money(decimal.Round(value * 0.35m, 2));
                }

                work.Add(store.MergeAsync(merchant, $"s-{d}-{i}", decidedAt, fields, CancellationToken.None));
            }
        }

        await Task.WhenAll(work);
    }
}
