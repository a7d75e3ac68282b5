using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>The admin API for a merchant's hooks, over the real app: registration, validation, listing, deletion.</summary>
[Collection(HooksAppCollection.Name)]
public sealed class HookAdminApiTests(HooksAppFixture app)
{
    [Fact]
    public async Task Hooks_AreCreatedReadListedReplacedAndDeleted()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.AdminClient();

        var created = await client.PostAsJsonAsync($"/api/merchants/{merchant}/hooks",
            new { hookId = "crm", points = new[] { "call.before_dial", "call.ended" }, kind = "webhook", target = "http://127.0.0.1:9/crm", timeoutMs = 1500, priority = 5, failureMode = "closed" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/merchants/{merchant}/hooks/crm", created.Headers.Location!.OriginalString);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("closed", body["failureMode"]!.GetValue<string>());
        Assert.Equal(3, body["retry"]!["maxAttempts"]!.GetValue<int>());

        var generated = await client.PostAsJsonAsync($"/api/merchants/{merchant}/hooks",
            new { points = new[] { "offer.accepted" }, kind = "process", target = "answer" });
        Assert.Equal(HttpStatusCode.Created, generated.StatusCode);
        var generatedId = (await generated.Content.ReadFromJsonAsync<JsonObject>())!["hookId"]!.GetValue<string>();
        Assert.StartsWith("hook_", generatedId, StringComparison.Ordinal);

        var replaced = await client.PutAsJsonAsync($"/api/merchants/{merchant}/hooks/crm",
            new { points = new[] { "call.connected" }, kind = "webhook", target = "http://127.0.0.1:9/crm2", enabled = false });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);

        var one = await client.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/hooks/crm");
        Assert.Equal("http://127.0.0.1:9/crm2", one!["target"]!.GetValue<string>());
        Assert.False(one["enabled"]!.GetValue<bool>());

        var list = await client.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/hooks");
        Assert.Equal(new[] { "crm", generatedId }.Order(StringComparer.Ordinal), list!["hooks"]!.AsArray().Select(h => h!["hookId"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/merchants/{merchant}/hooks/crm")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/merchants/{merchant}/hooks/crm")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/merchants/{merchant}/hooks/crm")).StatusCode);
    }

    [Fact]
    public async Task BadRegistrations_Are400sListingEveryProblem_AndStoreNothing()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.AdminClient();

        var response = await client.PutAsJsonAsync($"/api/merchants/{merchant}/hooks/bad",
            new { points = new[] { "call.before_dial", "cart.exploded" }, kind = "webhook", target = "http://example.com/hook", timeoutMs = 60_000, retry = new { maxAttempts = 50 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.Contains("cart.exploded", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("https", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("timeout", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(errors, e => e.Contains("attempts", StringComparison.OrdinalIgnoreCase));

        var process = await client.PutAsJsonAsync($"/api/merchants/{merchant}/hooks/bad",
            new { points = new[] { "call.ended" }, kind = "process", target = "rm-rf" });
        Assert.Equal(HttpStatusCode.BadRequest, process.StatusCode);
        Assert.Contains("allow", await process.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        var wrongKind = await client.PutAsJsonAsync($"/api/merchants/{merchant}/hooks/bad", new { points = new[] { "call.ended" }, kind = "ftp", target = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongKind.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/merchants/{merchant}/hooks/bad")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync($"/api/merchants/m-nobody-{Guid.NewGuid():N}/hooks/h",
            new { points = new[] { "call.ended" }, kind = "process", target = "answer" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/merchants/{merchant}/hooks/deliveries?status=lost")).StatusCode);
    }

    [Fact]
    public async Task WithoutTheAdminKey_NothingIsListedOrRegistered()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.App.CreateClient();

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/merchants/{merchant}/hooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PutAsJsonAsync($"/api/merchants/{merchant}/hooks/h",
            new { points = new[] { "call.ended" }, kind = "process", target = "answer" })).StatusCode);
    }
}
