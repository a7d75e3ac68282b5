using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>In this collection the Event Grid topic is unreachable: a decided offer must wait in the outbox, not vanish.</summary>
[Collection(AppCollection.Name)]
public sealed class OfferOutboxTests(AppFixture app)
{
    [Fact]
    public async Task ProposedOffer_WhenEventGridIsDown_IsAcceptedAndQueuedInTheOutbox()
    {
        var merchant = await app.CreateMerchantAsync(d => d["scoring"] = new { minScore = 0.2, minCartValue = 0 });
        using var admin = app.AdminClient();
        (await admin.PutAsJsonAsync($"/api/merchants/{merchant}/agents/a1", new { displayName = "A", available = true })).EnsureSuccessStatusCode();
        using var client = app.CreateClient();
        var now = DateTimeOffset.UtcNow;

        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent("s-outbox", "payment_failed", now, price: 240m)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var offerId = answer["offerId"]?.GetValue<string>();
        Assert.True(offerId is not null, answer.ToJsonString());
        var outbox = new QueueClient(app.Storage.ConnectionString, StorageNames.OfferOutboxQueue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var poison = new QueueClient(app.Storage.ConnectionString, StorageNames.Poison(StorageNames.OfferOutboxQueue), new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var waiting = (await outbox.PeekMessagesAsync(32)).Value.Concat((await poison.PeekMessagesAsync(32)).Value);
        var properties = await outbox.GetPropertiesAsync();
        Assert.True(
            waiting.Any(m => m.MessageText.Contains(offerId!, StringComparison.Ordinal)) || properties.Value.ApproximateMessagesCount > 0,
            "the offer is neither visible nor in flight in the outbox");
    }
}
