using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Tests.Features.CartEvents;

[Collection(AppCollection.Name)]
public sealed class ReceiveShopifyWebhookTests(AppFixture app)
{
    private static string Checkout(string token, DateTimeOffset updatedAt, bool withShipping = false, bool completed = false, string currency = "USD") =>
        new JsonObject
        {
            ["id"] = 981820079255243537,
            ["token"] = token,
            ["cart_token"] = "c-" + token,
            ["email"] = "shopper@example.com",
            ["created_at"] = updatedAt.AddMinutes(-5).ToString("O"),
            ["updated_at"] = updatedAt.ToString("O"),
            ["completed_at"] = completed ? updatedAt.ToString("O") : null,
            ["currency"] = currency,
            ["presentment_currency"] = currency,
            ["customer"] = new JsonObject { ["id"] = 207119551, ["email"] = "shopper@example.com" },
            ["shipping_address"] = withShipping ? new JsonObject { ["city"] = "Ottawa", ["country_code"] = "CA" } : null,
            ["abandoned_checkout_url"] = $"https://shop.example/checkouts/{token}/recover",
            ["line_items"] = new JsonArray(
                new JsonObject { ["key"] = "k1", ["sku"] = "IPOD-342-N", ["variant_id"] = 39072856, ["title"] = "IPod Nano", ["quantity"] = 1, ["price"] = "199.00" },
                new JsonObject { ["key"] = "k2", ["sku"] = "", ["variant_id"] = 457924702, ["title"] = "Case", ["quantity"] = 2, ["price"] = "19.95" }),
        }.ToJsonString();

    internal static HttpRequestMessage Delivery(string merchant, string body, string topic, string eventId, string secret = AppFixture.Secret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{merchant}/shopify") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Shopify-Topic", topic);
        request.Headers.Add("X-Shopify-Hmac-Sha256", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes)));
        request.Headers.Add("X-Shopify-Shop-Domain", "shop.example.myshopify.com");
        request.Headers.Add("X-Shopify-API-Version", "2026-01");
        request.Headers.Add("X-Shopify-Webhook-Id", Guid.NewGuid().ToString());
        request.Headers.Add("X-Shopify-Event-Id", eventId);
        request.Headers.Add("X-Shopify-Triggered-At", DateTimeOffset.UtcNow.ToString("O"));
        return request;
    }

    private async Task<TableEntity?> SessionAsync(string merchant, string token)
    {
        var table = new TableServiceClient(app.Storage.ConnectionString).GetTableClient(StorageNames.SessionsTable);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(TableSessionStore.PartitionKey(merchant, token), "session");
        return entity.HasValue ? entity.Value : null;
    }

    [Fact]
    public async Task CheckoutCreateThenUpdate_AreAcceptedAndFollowTheCheckoutToken()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var now = DateTimeOffset.UtcNow;

        var created = await client.SendAsync(Delivery(merchant, Checkout("tok1", now.AddMinutes(-2)), "checkouts/create", "e-1"));
        var updated = await client.SendAsync(Delivery(merchant, Checkout("tok1", now, withShipping: true), "checkouts/update", "e-2"));

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, updated.StatusCode);
        var session = await SessionAsync(merchant, "tok1");
        Assert.NotNull(session);
        Assert.Equal(2, session!.GetInt32("EventCount"));
        Assert.Equal("207119551", session.GetString("ShopperId"));
    }

    [Fact]
    public async Task SameShopifyEventDeliveredTwice_ChangesNothingTheSecondTime()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var body = Checkout("tok-dup", DateTimeOffset.UtcNow);

        await client.SendAsync(Delivery(merchant, body, "checkouts/create", "e-dup"));
        var etag = (await SessionAsync(merchant, "tok-dup"))!.ETag;
        var again = await client.SendAsync(Delivery(merchant, body, "checkouts/create", "e-dup"));

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.True(JsonNode.Parse(await again.Content.ReadAsStringAsync())!["duplicate"]!.GetValue<bool>());
        Assert.Equal(etag, (await SessionAsync(merchant, "tok-dup"))!.ETag);
    }

    [Fact]
    public async Task CompletedCheckout_IsRecordedAsOrderCompleted()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();

        await client.SendAsync(Delivery(merchant, Checkout("tok-paid", DateTimeOffset.UtcNow, completed: true), "checkouts/update", "e-paid"));

        Assert.True((await SessionAsync(merchant, "tok-paid"))!.GetBoolean("OrderCompleted"));
    }

    [Theory]
    [InlineData("bad-hmac", HttpStatusCode.Unauthorized)]
    [InlineData("other-topic", HttpStatusCode.BadRequest)]
    [InlineData("other-currency", HttpStatusCode.BadRequest)]
    [InlineData("not-json", HttpStatusCode.BadRequest)]
    public async Task BadDelivery_Returns4xxProblemAndStoresNothing(string kind, HttpStatusCode expected)
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var token = "tok-" + kind;
        var request = kind switch
        {
            "bad-hmac" => Delivery(merchant, Checkout(token, DateTimeOffset.UtcNow), "checkouts/create", "e", secret: "shpss_someone_else_0000"),
            "other-topic" => Delivery(merchant, Checkout(token, DateTimeOffset.UtcNow), "orders/create", "e"),
            "other-currency" => Delivery(merchant, Checkout(token, DateTimeOffset.UtcNow, currency: "JPY"), "checkouts/create", "e"),
            _ => Delivery(merchant, "{\"token\": \"" + token + "\", \"line_items\": [", "checkouts/create", "e"),
        };

        var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await SessionAsync(merchant, token));
    }
}
