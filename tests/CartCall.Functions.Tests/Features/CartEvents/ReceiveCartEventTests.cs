using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Tests.Features.CartEvents;

[Collection(AppCollection.Name)]
public sealed class ReceiveCartEventTests(AppFixture app)
{
    private TableClient Sessions => new TableServiceClient(app.Storage.ConnectionString).GetTableClient(StorageNames.SessionsTable);

    private async Task<int> SessionRowCountAsync(string merchantId, string sessionId)
    {
        var count = 0;
        await foreach (var _ in Sessions.QueryAsync<TableEntity>(e => e.PartitionKey == TableSessionStore.PartitionKey(merchantId, sessionId)))
        {
            count++;
        }

        return count;
    }

    [Fact]
    public async Task Post_SignedEvent_Returns202AndStoresSessionWithDecision()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();

        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent("s-1", "item_added", DateTimeOffset.UtcNow)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False(body["duplicate"]!.GetValue<bool>());
        Assert.Equal(2, await SessionRowCountAsync(merchant, "s-1")); // the session and its decision
    }

    [Fact]
    public async Task Post_SameEventTwice_SecondIsDuplicateAndChangesNothing()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var e = AppFixture.CartEvent("s-dup", "checkout_started", DateTimeOffset.UtcNow, eventId: "evt-1");

        await client.SendAsync(AppFixture.SignedCartEvent(merchant, e));
        var before = (await Sessions.GetEntityAsync<TableEntity>(TableSessionStore.PartitionKey(merchant, "s-dup"), "session")).Value.ETag;
        var again = await client.SendAsync(AppFixture.SignedCartEvent(merchant, e));

        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.True(JsonNode.Parse(await again.Content.ReadAsStringAsync())!["duplicate"]!.GetValue<bool>());
        var after = (await Sessions.GetEntityAsync<TableEntity>(TableSessionStore.PartitionKey(merchant, "s-dup"), "session")).Value.ETag;
        Assert.Equal(before, after);
        Assert.Equal(2, await SessionRowCountAsync(merchant, "s-dup"));
    }

    [Fact]
    public async Task Post_SignedWithSecondSecret_IsAcceptedDuringRotation()
    {
        const string next = "whsec_rotated_secret_0123456789";
        var merchant = await app.CreateMerchantAsync(d => d["signingSecrets"] = new[] { AppFixture.Secret, next });
        using var client = app.CreateClient();

        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent("s-rot", "cart_viewed", DateTimeOffset.UtcNow), secret: next));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    public static TheoryData<string, HttpStatusCode, string> BadRequests() => new()
    {
        { "bad-signature", HttpStatusCode.Unauthorized, "does not match" },
        { "no-signature", HttpStatusCode.Unauthorized, "missing" },
        { "stale-timestamp", HttpStatusCode.Unauthorized, "minutes" },
        { "wrong-content-type", HttpStatusCode.UnsupportedMediaType, "application/json" },
        { "too-large", HttpStatusCode.RequestEntityTooLarge, "262144" },
        { "malformed-json", HttpStatusCode.BadRequest, "not valid JSON" },
        { "unknown-type", HttpStatusCode.BadRequest, "not a known event type" },
        { "mixed-currency", HttpStatusCode.BadRequest, "currency" },
        { "missing-ids", HttpStatusCode.BadRequest, "eventId is required" },
        { "negative-quantity", HttpStatusCode.BadRequest, "quantity" },
        { "negative-price", HttpStatusCode.BadRequest, "unitPrice" },
        { "mixed-line-currencies", HttpStatusCode.BadRequest, "currenc" },
        { "unknown-merchant", HttpStatusCode.Unauthorized, "does not match" },
        { "future-time", HttpStatusCode.BadRequest, "more than 5 minutes ahead of the server's clock" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Post_BadInput_Returns4xxProblemAndStoresNothing(string kind, HttpStatusCode expected, string detailContains)
    {
        var merchant = await app.CreateMerchantAsync();
        var session = "s-" + kind;
        var good = AppFixture.CartEvent(session, "item_added", DateTimeOffset.UtcNow);
        var request = kind switch
        {
            "bad-signature" => AppFixture.SignedCartEvent(merchant, good, secret: "whsec_not_the_merchants_secret"),
            "stale-timestamp" => AppFixture.SignedCartEvent(merchant, good, signedAt: DateTimeOffset.UtcNow.AddMinutes(-6)),
            "malformed-json" => AppFixture.SignedCartEventBytes(merchant, Encoding.UTF8.GetBytes("{\"eventId\": \"x\", ")),
            "unknown-type" => AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "teleported", DateTimeOffset.UtcNow)),
            "mixed-currency" => AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "item_added", DateTimeOffset.UtcNow, currency: "EUR")),
            "missing-ids" => AppFixture.SignedCartEvent(merchant, new { type = "item_added", occurredAt = DateTimeOffset.UtcNow }),
            "unknown-merchant" => AppFixture.SignedCartEvent("m-nobody", good),
            "future-time" => AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "item_added", DateTimeOffset.UtcNow.AddMinutes(30))),
            "negative-quantity" => AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "item_added", DateTimeOffset.UtcNow, quantity: -2)),
            "negative-price" => AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "item_added", DateTimeOffset.UtcNow, price: -5m)),
            "mixed-line-currencies" => AppFixture.SignedCartEvent(merchant, new
            {
                eventId = "e-mixed", sessionId = session, occurredAt = DateTimeOffset.UtcNow, type = "item_added",
                cart = new { currency = "USD", items = new object[] { new { sku = "A", quantity = 1, unitPrice = 10m, currency = "USD" }, new { sku = "B", quantity = 1, unitPrice = 10m, currency = "EUR" } } },
            }),
            "too-large" => AppFixture.SignedCartEventBytes(merchant, new byte[300 * 1024]),
            _ => AppFixture.SignedCartEvent(merchant, good),
        };
        if (kind == "no-signature")
        {
            request.Headers.Remove(WebhookSignatures.CartCallHeader);
        }
        else if (kind == "wrong-content-type")
        {
            request.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        }

        using var client = app.CreateClient();
        var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var text = problem["detail"]!.GetValue<string>() + " " + string.Join(' ', problem["errors"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []);
        Assert.Contains(detailContains, text, StringComparison.Ordinal);
        Assert.Equal(0, await SessionRowCountAsync(merchant, session));
    }

    [Fact]
    public async Task Post_EventsOutOfOrder_AreAllAppliedOnce()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-3);
        var later = AppFixture.CartEvent("s-ooo", "checkout_started", t0.AddMinutes(2));
        var earlier = AppFixture.CartEvent("s-ooo", "item_added", t0);

        var first = await client.SendAsync(AppFixture.SignedCartEvent(merchant, later));
        var second = await client.SendAsync(AppFixture.SignedCartEvent(merchant, earlier));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var entity = (await Sessions.GetEntityAsync<TableEntity>(TableSessionStore.PartitionKey(merchant, "s-ooo"), "session")).Value;
        Assert.Equal(2, entity.GetInt32("EventCount"));
        Assert.Equal(t0.AddMinutes(2).ToUnixTimeSeconds(), entity.GetDateTimeOffset("LastEventAt")!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Post_ConcurrentEventsForOneSession_AllLandDespiteETagConflicts()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var now = DateTimeOffset.UtcNow;
        var posts = Enumerable.Range(0, 12)
            .Select(i => client.SendAsync(AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent("s-race", "page_viewed", now.AddSeconds(-i)))))
            .ToList();

        var responses = await Task.WhenAll(posts);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var entity = (await Sessions.GetEntityAsync<TableEntity>(TableSessionStore.PartitionKey(merchant, "s-race"), "session")).Value;
        Assert.Equal(12, entity.GetInt32("EventCount"));
    }
}
