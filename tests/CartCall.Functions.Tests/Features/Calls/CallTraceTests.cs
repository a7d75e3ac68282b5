using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Offers;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>The accept continues the offer's trace: the call it makes keeps a trace context in the offer's trace.</summary>
[Collection(CallsCollection.Name)]
public sealed class CallTraceTests(CallsFixture app)
{
    [Fact]
    public async Task TheAccept_ContinuesTheOffersTrace_AndTheCallKeepsIt()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        var offerTrace = ActivityTraceId.CreateRandom();
        var delivered = $"00-{offerTrace}-{ActivitySpanId.CreateRandom()}-01";
        var offerId = "of_" + Guid.NewGuid().ToString("N")[..24];
        var now = DateTimeOffset.UtcNow;
        var offer = new OfferProposed(offerId, merchant, session, null, now, now.AddMinutes(10), 0.8, "at_risk", ["Idle in checkout"], 300m, "USD", 20m);
        Assert.True(await app.Service<TableOfferStore>().TryAddAsync(offer, CancellationToken.None, delivered));
        // Quiet hours from an hour ago to three hours on: the call is scheduled, nothing is dialled.
        var quiet = new
        {
            start = DateTime.UtcNow.AddHours(-1).ToString("HH:mm", CultureInfo.InvariantCulture),
            end = DateTime.UtcNow.AddHours(3).ToString("HH:mm", CultureInfo.InvariantCulture),
        };

        var response = await app.AcceptAsync(offerId, merchant, session, null, false, CallsFixture.PhonePreferences("+12015557300", quiet));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var callId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["callId"]!.GetValue<string>();
        var call = await app.CallAsync(callId);
        Assert.True(ActivityContext.TryParse(call!.TraceParent, null, out var callTrace), "the call keeps no trace context: " + call.TraceParent);
        Assert.Equal(offerTrace, callTrace.TraceId);
        Assert.Equal(CallIds.ForOffer(offerId), callId);
    }
}
