using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;

namespace CartCall.Functions.Tests.Features.Offers;

/// <summary>In this collection the Event Grid topic is unreachable: a decided offer must wait in the outbox, not vanish.</summary>
[Collection(AppCollection.Name)]
public sealed class OfferOutboxTests(AppFixture app)
{
    private async Task<(string Merchant, string OfferId, HttpClient Client, object Event)> ProposeAsync(string session)
    {
        var merchant = await app.CreateMerchantAsync(d => d["scoring"] = new { minScore = 0.2, minCartValue = 0 });
        using var admin = app.AdminClient();
        (await admin.PutAsJsonAsync($"/api/merchants/{merchant}/agents/a1", new { displayName = "A", available = true })).EnsureSuccessStatusCode();
        var client = app.CreateClient();
        var cartEvent = AppFixture.CartEvent(session, "payment_failed", DateTimeOffset.UtcNow, price: 240m);
        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var offerId = answer["offerId"]?.GetValue<string>();
        Assert.True(offerId is not null, answer.ToJsonString());
        return (merchant, offerId!, client, cartEvent);
    }

    private async Task<List<string>> OutboxRowsAsync(string merchant, string session)
    {
        var table = new TableServiceClient(app.Storage.ConnectionString).GetTableClient(StorageNames.SessionsTable);
        var pk = TableSessionStore.PartitionKey(merchant, session);
        var rows = new List<string>();
        await foreach (var e in table.QueryAsync<TableEntity>(x => x.PartitionKey == pk))
        {
            if (e.RowKey.StartsWith("o|", StringComparison.Ordinal))
            {
                rows.Add(e.RowKey);
            }
        }

        return rows;
    }

    [Fact]
    public async Task ProposedOffer_WhenEventGridIsDown_IsAcceptedAndKeptInTheSessionsOutbox()
    {
        var (merchant, offerId, client, _) = await ProposeAsync("s-outbox");
        using var _ = client;

        // The decision is stored with its follow-up; the publish failed, so the row stays for the drain and the sweeper.
        Assert.Contains($"o|offer|{offerId}", await OutboxRowsAsync(merchant, "s-outbox"));
    }

    [Fact]
    public async Task RetriedEvent_WhileEventGridIsStillDown_KeepsTheOfferWaiting_AndDecidesNothingNew()
    {
        var (merchant, offerId, client, cartEvent) = await ProposeAsync("s-outbox-retry");
        using var _ = client;

        var retry = await client.SendAsync(AppFixture.SignedCartEvent(merchant, cartEvent));

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var answer = JsonNode.Parse(await retry.Content.ReadAsStringAsync())!;
        Assert.True(answer["duplicate"]!.GetValue<bool>());
        Assert.Contains($"o|offer|{offerId}", await OutboxRowsAsync(merchant, "s-outbox-retry"));
    }
}
