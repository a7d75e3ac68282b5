using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Features.Merchants;

[Collection(AppCollection.Name)]
public sealed class MerchantWidgetSettingsTests(AppFixture app)
{
    [Fact]
    public async Task Put_NewMerchantWithoutKey_GeneratesAPublishableKeyShownUnredacted_AndDefaultCountries()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.AdminClient();

        var created = JsonNode.Parse(await (await client.PutAsJsonAsync($"/api/merchants/{id}", AppFixture.MerchantDocument(id))).Content.ReadAsStringAsync())!;
        var fetched = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{id}"))!;

        var key = fetched["publishableKey"]!.GetValue<string>();
        Assert.Matches("^pk_[A-Za-z0-9_-]{24}$", key);
        Assert.Equal(key, created["publishableKey"]!.GetValue<string>());
        Assert.Equal(["US", "CA", "GB"], fetched["allowedCountries"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Put_ReplaceWithoutKey_KeepsTheKeyTheStorefrontEmbeds()
    {
        var id = AppFixture.NewMerchantId();
        using var client = app.AdminClient();
        await client.PutAsJsonAsync($"/api/merchants/{id}", AppFixture.MerchantDocument(id));
        var before = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{id}"))!["publishableKey"]!.GetValue<string>();

        var doc = AppFixture.MerchantDocument(id);
        doc["sourcePhoneNumber"] = "+442071838750";
        doc["allowedCountries"] = new[] { "GB", "DE" };
        var replaced = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);

        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var after = JsonNode.Parse(await replaced.Content.ReadAsStringAsync())!;
        Assert.Equal(before, after["publishableKey"]!.GetValue<string>());
        Assert.Equal("+442071838750", after["sourcePhoneNumber"]!.GetValue<string>());
        Assert.Equal(["GB", "DE"], after["allowedCountries"]!.AsArray().Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public async Task Put_GivenKey_IsKept()
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc["publishableKey"] = "pk_abcdefghijklmnopqrstuvwx";
        using var client = app.AdminClient();

        var created = JsonNode.Parse(await (await client.PutAsJsonAsync($"/api/merchants/{id}", doc)).Content.ReadAsStringAsync())!;

        Assert.Equal("pk_abcdefghijklmnopqrstuvwx", created["publishableKey"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("publishableKey", "sk_abcdefghijklmnopqrstuvwx", "publishableKey")]
    [InlineData("publishableKey", "pk_short", "publishableKey")]
    [InlineData("sourcePhoneNumber", "020 7183 8750", "sourcePhoneNumber")]
    [InlineData("allowedCountries", "gbr", "allowedCountries")]
    public async Task Put_InvalidWidgetSetting_Returns400NamingIt(string field, string value, string named)
    {
        var id = AppFixture.NewMerchantId();
        var doc = AppFixture.MerchantDocument(id);
        doc[field] = field == "allowedCountries" ? new[] { value } : value;
        using var client = app.AdminClient();

        var response = await client.PutAsJsonAsync($"/api/merchants/{id}", doc);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/merchants/{id}")).StatusCode);
    }
}
