using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>
/// DeliverOffer takes its input as seriously as any public endpoint's: an offer is stored under its merchant and
/// session only when the event says so coherently, an offer id is never re-pointed, and a malformed CloudEvent is a
/// 400 (Event Grid dead-letters it) rather than an exception.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class DeliverOfferInputTests(AppFixture app)
{
    private TableClient Offers => new TableServiceClient(app.Storage.ConnectionString).GetTableClient(StorageNames.OffersTable);

    private async Task<HttpResponseMessage> DeliverAsync(params JsonNode[] events)
    {
        using var client = app.CreateClient();
        return await client.PostAsync($"/api/offers/deliveries?code={AppFixture.DeliveryKey}", AppFixture.CloudEvents(events));
    }

    private async Task<HttpResponseMessage> DeliverRawAsync(string body)
    {
        using var client = app.CreateClient();
        using var content = new StringContent(body, Encoding.UTF8, "application/cloudevents-batch+json");
        return await client.PostAsync($"/api/offers/deliveries?code={AppFixture.DeliveryKey}", content);
    }

    private async Task<int> RowsAsync(string partition)
    {
        var rows = 0;
        await foreach (var _ in Offers.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            rows++;
        }

        return rows;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnOfferWithoutItsMerchant_IsRefused_AndNothingIsStored()
    {
        var merchant = await app.CreateMerchantAsync();
        var offer = OfferEvents.Offer(merchant, "s-nomerchant");
        var cloudEvent = offer.Event();
        cloudEvent["data"]!.AsObject().Remove("merchantId");

        await AssertProblemAsync(await DeliverAsync(cloudEvent), HttpStatusCode.BadRequest, "merchantId");

        Assert.Null(await app.Services.GetRequiredService<TableOfferStore>().GetAsync(offer.OfferId, CancellationToken.None));
        Assert.Equal(0, await RowsAsync("id|" + offer.OfferId));
        Assert.Equal(0, await RowsAsync("|s-nomerchant"));
    }

    [Fact]
    public async Task AnOfferNamingAnotherMerchantThanItsEvent_IsRefused_AndNothingIsStored()
    {
        var merchant = await app.CreateMerchantAsync();
        var other = await app.CreateMerchantAsync();
        var offer = OfferEvents.Offer(merchant, "s-mismatch");

        await AssertProblemAsync(await DeliverAsync(offer.Event(source: OfferProposed.Source(other))), HttpStatusCode.BadRequest, "source");
        await AssertProblemAsync(await DeliverAsync(offer.Event(subject: "sessions/s-elsewhere")), HttpStatusCode.BadRequest, "subject");
        await AssertProblemAsync(await DeliverAsync(offer.Event(id: "of_someotherid")), HttpStatusCode.BadRequest, "event's id");
        await AssertProblemAsync(await DeliverAsync(OfferEvents.Offer("m-nobody-at-all", "s-1").Event()), HttpStatusCode.BadRequest, "not a merchant");

        Assert.Equal(0, await RowsAsync("id|" + offer.OfferId));
        Assert.Equal(0, await RowsAsync($"{merchant}|s-mismatch"));
    }

    [Fact]
    public async Task ARedelivery_CanNeverRepointAnOfferToAnotherMerchantOrSession()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        var other = await app.CreateMerchantAsync();
        var offer = OfferEvents.Offer(merchant, "s-owner");
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(offer.Event())).StatusCode);

        var hijackMerchant = offer with { MerchantId = other, SessionId = "s-thief" };
        var hijackSession = offer with { SessionId = "s-thief" };
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(hijackMerchant.Event())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(hijackSession.Event())).StatusCode);

        var stored = await app.Services.GetRequiredService<TableOfferStore>().GetAsync(offer.OfferId, CancellationToken.None);
        Assert.Equal((merchant, "s-owner"), (stored!.Offer.MerchantId, stored.Offer.SessionId));
        Assert.Equal(0, await RowsAsync($"{other}|s-thief"));
        Assert.Equal(0, await RowsAsync($"{merchant}|s-thief"));

        // And the owner's widget still answers it.
        using var widget = app.CreateClient();
        widget.DefaultRequestHeaders.Add(PublishableKeys.Header, AppFixture.PublishableKey);
        var shown = await widget.PostAsJsonAsync($"/api/offers/{offer.OfferId}/shown", new { merchantId = merchant, sessionId = "s-owner" });
        Assert.Equal(HttpStatusCode.NoContent, shown.StatusCode);
    }

    public static TheoryData<string, string> MistypedAttributes() => new()
    {
        { "id", "42" },
        { "source", "[\"/merchants/m\"]" },
        { "type", "{\"name\":\"CartCall.OfferProposed\"}" },
        { "specversion", "1.0" },
        { "datacontenttype", "[\"application/json\"]" },
        { "subject", "7" },
        { "time", "1718000000" },
        { "time", "\"not a time\"" },
        { "dataschema", "false" },
        { "traceparent", "{\"version\":0}" },
        { "data_base64", "\"%%%\"" },
    };

    [Theory]
    [MemberData(nameof(MistypedAttributes))]
    public async Task ACloudEventAttributeOfTheWrongJsonType_Is400_NeverAnException(string attribute, string json)
    {
        var merchant = await app.CreateMerchantAsync();
        var offer = OfferEvents.Offer(merchant, "s-typed");
        var cloudEvent = offer.Event();
        cloudEvent[attribute] = JsonNode.Parse(json);

        await AssertProblemAsync(await DeliverAsync(cloudEvent), HttpStatusCode.BadRequest, attribute);

        Assert.Equal(0, await RowsAsync("id|" + offer.OfferId));
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("[42]")]
    [InlineData("[[]]")]
    [InlineData("{\"id\": \"x\"}")]
    [InlineData("[{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/m\",\"type\":\"CartCall.OfferProposed\",\"data\":\"not an offer\"}]")]
    [InlineData("[{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/m\",\"type\":\"CartCall.OfferProposed\"}]")]
    public async Task AMalformedBatch_Is400(string body)
    {
        await AssertProblemAsync(await DeliverRawAsync(body), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnOfferStoredWithoutItsMerchant_ByAnEarlierVersion_IsTreatedAsUnknown_NotA500()
    {
        // What the old DeliverOffer could store: a pointer without a merchant, and the row in the merchant-less partition.
        var offerId = "of_" + Guid.NewGuid().ToString("N")[..24];
        await Offers.AddEntityAsync(new TableEntity("id|" + offerId, "offer") { ["SessionId"] = "s-legacy" });
        await Offers.AddEntityAsync(new TableEntity("|s-legacy", offerId)
        {
            ["Status"] = "Pending",
            ["Document"] = $"{{\"offer\":{{\"offerId\":\"{offerId}\",\"sessionId\":\"s-legacy\",\"currency\":\"USD\"}},\"status\":\"pending\"}}",
        });
        await app.CreateKeyedMerchantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(PublishableKeys.Header, AppFixture.PublishableKey);

        foreach (var verb in new[] { "shown", "dismiss", "accept" })
        {
            var answer = await client.PostAsJsonAsync($"/api/offers/{offerId}/{verb}", new { sessionId = "s-legacy" });
            var unknownId = "of_" + Guid.NewGuid().ToString("N")[..24];
            var neverExisted = await client.PostAsJsonAsync($"/api/offers/{unknownId}/{verb}", new { sessionId = "s-legacy" });

            await AssertProblemAsync(answer, HttpStatusCode.Unauthorized);
            Assert.Equal(await neverExisted.Content.ReadAsStringAsync(), await answer.Content.ReadAsStringAsync());
        }
    }
}
