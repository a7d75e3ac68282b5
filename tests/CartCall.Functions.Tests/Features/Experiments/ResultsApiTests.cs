using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CartCall.Domain.Experiments;
using CartCall.Functions.Features.Experiments;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Experiments;

/// <summary>The results API and page, and the merchant's experiment settings.</summary>
[Collection(AppCollection.Name)]
public sealed class ResultsApiTests(AppFixture app)
{
    [Theory]
    [InlineData("?from=2026-02-30", "from must be a date")]
    [InlineData("?from=yesterday", "from must be a date")]
    [InlineData("?from=2026-03-10&to=2026-03-01", "from must not be after to")]
    [InlineData("?from=2024-01-01&to=2026-01-01", "at most 366 days")]
    [InlineData("?bucket=month", "bucket must be day or week")]
    public async Task BadQuery_Is400SayingWhatIsWrong(string query, string says)
    {
        var merchant = await app.CreateMerchantAsync();
        using var admin = app.AdminClient();

        foreach (var path in new[] { "results", "results.csv" })
        {
            var response = await admin.GetAsync($"/api/merchants/{merchant}/{path}{query}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Results_NeedTheAdminKey_AndAKnownMerchant()
    {
        var merchant = await app.CreateMerchantAsync();
        using var anonymous = app.CreateClient();
        using var admin = app.AdminClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/merchants/{merchant}/results")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/merchants/{merchant}/results.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/merchants/m-nobody-here/results")).StatusCode);
    }

    [Fact]
    public async Task Results_ReportTheExperimentOfTheMerchantsLocalDays_WithItsSettings()
    {
        var merchant = await app.CreateMerchantAsync(d => d["experiment"] = new { holdoutShare = 0.25, attributionWindowHours = 48 });
        var store = app.Services.GetRequiredService<TableExperimentStore>();
        var day = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 40; i++)
        {
            var arm = i % 2 == 0 ? "treatment" : "control";
            var converted = i % 4 == 0 || i == 1;
            var fields = new Dictionary<string, object?> { ["Arm"] = arm, ["DecidedAt"] = day.AddHours(i % 3) };
            if (converted)
            {
                fields["OrderCompletedAt"] = day.AddHours(5);
                fields["OrderValue"] = "100";
                fields["OrderMargin"] = "30";
            }

            await store.MergeAsync(merchant, $"s-{i}", day.AddHours(i % 3), fields, CancellationToken.None);
        }

        using var admin = app.AdminClient();
        var results = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{merchant}/results?from=2026-03-01&to=2026-03-03"))!;

        Assert.Equal(0.25, results["holdoutShare"]!.GetValue<double>());
        Assert.Equal(48, results["attributionWindowHours"]!.GetValue<double>());
        Assert.Equal("Europe/London", results["timeZone"]!.GetValue<string>());
        var total = results["total"]!;
        Assert.Equal(20, total["treatment"]!["sessions"]!.GetValue<int>());
        Assert.Equal(10, total["treatment"]!["conversions"]!.GetValue<int>());
        Assert.Equal(1, total["control"]!["conversions"]!.GetValue<int>());
        // The same figures as the calculator gives for these sessions (Newcombe's interval for 10/20 − 1/20).
        var expected = Intervals.NewcombeDifference(10, 20, 1, 20);
        Assert.Equal(expected.Lower, total["conversionDifference"]!["lower"]!.GetValue<double>(), 9);
        Assert.Equal([0, 40, 0], results["series"]!.AsArray().Select(p => p!["report"]!["funnel"]!["offers"]!.GetValue<int>()));
        Assert.Equal(["2026-03-01", "2026-03-02", "2026-03-03"], results["series"]!.AsArray().Select(p => p!["from"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ResultsPage_IsServedWithoutData_UnderAStrictPolicy()
    {
        using var anonymous = app.CreateClient();

        var page = await anonymous.GetAsync("/api/merchants/m-any-shop/results/page");
        var bad = await anonymous.GetAsync("/api/merchants/NOT%20AN%20ID/results/page");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("sessionStorage", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Theory]
    [InlineData(0.7, 24, "experiment.holdoutShare")]
    [InlineData(-0.1, 24, "experiment.holdoutShare")]
    [InlineData(0.1, 0, "experiment.attributionWindowHours")]
    [InlineData(0.1, 721, "experiment.attributionWindowHours")]
    public async Task ExperimentSettingsOutOfRange_Are400_AndStoreNothing(double share, double hours, string names)
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["experiment"] = new { holdoutShare = share, attributionWindowHours = hours };
        using var admin = app.AdminClient();

        var response = await admin.PutAsJsonAsync($"/api/merchants/{id}", doc);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(names, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/merchants/{id}")).StatusCode);
    }

    [Fact]
    public async Task MerchantWithoutExperimentSettings_HoldsOutTenPercent()
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc.Remove("experiment");
        using var admin = app.AdminClient();

        (await admin.PutAsJsonAsync($"/api/merchants/{id}", doc)).EnsureSuccessStatusCode();
        var merchant = JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{id}"))!;

        Assert.Equal(0.1, merchant["experiment"]!["holdoutShare"]!.GetValue<double>());
        Assert.Equal(24, merchant["experiment"]!["attributionWindowHours"]!.GetValue<double>());
    }

    [Fact]
    public void Csv_LeavesUnboundedIntervalsEmpty_AndJsonWritesThemAsNull()
    {
        var report = UpliftCalculator.Compute([], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(1), DateTimeOffset.UnixEpoch.AddDays(2), ExperimentSettings.Default);
        var doc = new ResultsDocument("m", "USD", "UTC", new DateOnly(1970, 1, 1), new DateOnly(1970, 1, 1), "day", 0.1, 24, DateTimeOffset.UnixEpoch, report, []);

        var csv = ExperimentResults.Csv(doc).Split('\n')[1];
        var json = JsonNode.Parse(JsonSerializer.Serialize(doc, ExperimentResults.Json))!;

        Assert.StartsWith("total,1970-01-01..1970-01-01,0,0,", csv, StringComparison.Ordinal);
        Assert.Contains(",,", csv, StringComparison.Ordinal);
        Assert.Null(json["total"]!["incrementalMargin"]!["lower"]);
        Assert.Equal(0, json["total"]!["incrementalMargin"]!["value"]!.GetValue<double>());
    }
}
