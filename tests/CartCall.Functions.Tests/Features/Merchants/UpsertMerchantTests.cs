using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Features.Merchants;

[Collection(AppCollection.Name)]
public sealed class UpsertMerchantTests(AppFixture app)
{
    [Fact]
    public async Task Put_NewMerchant_Returns201AndGetRedactsSecrets()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.AdminClient();

        var created = await client.PutAsJsonAsync($"/api/merchants/{id}", AppFixture.MerchantDocument(id));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var fetched = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{id}"))!;
        Assert.Equal("Europe/London", fetched["timeZone"]!.GetValue<string>());
        var secret = fetched["signingSecrets"]![0]!.GetValue<string>();
        Assert.DoesNotContain(AppFixture.Secret, secret, StringComparison.Ordinal);
        Assert.EndsWith(AppFixture.Secret[^4..], secret, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_ExistingMerchant_Returns200AndTheChange()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.AdminClient();
        await client.PutAsJsonAsync($"/api/merchants/{id}", AppFixture.MerchantDocument(id));
        var doc = AppFixture.MerchantDocument(id);
        doc["dailyOfferBudget"] = 7;
        doc["signingSecrets"] = new[] { AppFixture.Secret, "whsec_next_secret_abcdefghij" };

        var updated = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var body = JsonNode.Parse(await updated.Content.ReadAsStringAsync())!;
        Assert.Equal(7, body["dailyOfferBudget"]!.GetValue<int>());
        Assert.Equal(2, body["signingSecrets"]!.AsArray().Count);
    }

    [Fact]
    public async Task Put_WithoutAdminKey_Returns401Problem()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.CreateClient();

        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", AppFixture.MerchantDocument(id));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Put_InvalidDocument_Returns400ListingEveryProblem()
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["currency"] = "dollars";
        doc["timeZone"] = "Mars/Olympus_Mons";
        doc["signingSecrets"] = new[] { "short" };
        doc["allowedOrigins"] = new[] { "https://shop.example/path" };
        doc["scoring"] = new { minScore = 2.0, minCartValue = -1 };
        using var client = app.AdminClient();

        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.Contains("currency", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Mars/Olympus_Mons", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("signing secret", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("allowedOrigins", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("minScore", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("minCartValue", StringComparison.Ordinal));

        var stored = await client.GetAsync($"/api/merchants/{id}");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);
    }

    [Fact]
    public async Task Put_MalformedJson_Returns400SayingWhere()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.AdminClient();

        var response = await client.PutAsync($"/api/merchants/{id}", AppFixture.Json("{\"id\": \"" + id + "\", \"dailyOfferBudget\": \"many\"}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        Assert.Contains("dailyOfferBudget", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownMerchant_Returns404Problem()
    {
        using var client = app.AdminClient();

        var response = await client.GetAsync($"/api/merchants/{AppFixture.NewMerchantId()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
