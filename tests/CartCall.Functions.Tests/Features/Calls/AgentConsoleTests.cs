using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>The merchant's admin view of agents' calls: the push negotiation and the list of calls with cart context.</summary>
[Collection(CallsCollection.Name)]
public sealed class AgentConsoleTests(CallsFixture app)
{
    [Fact]
    public async Task NegotiateAgentPush_GivesASocketUrlInTheMerchantsAgentsGroup()
    {
        var merchant = await app.CreateMerchantAsync();
        using var admin = app.AdminClient();

        var response = await admin.PostAsync($"/api/merchants/{merchant}/agents/push", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"agents:{merchant}", body["group"]!.GetValue<string>());
        var url = new Uri(body["url"]!.GetValue<string>());
        Assert.Equal("ws", url.Scheme);
        Assert.Equal("/client/hubs/cartcall", url.AbsolutePath);
        Assert.StartsWith("?access_token=", url.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListCalls_WithoutTheKey_Answers401()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/api/merchants/{merchant}/calls")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync($"/api/merchants/{merchant}/agents/push", null)).StatusCode);
    }

    [Fact]
    public async Task ListActiveCalls_ShowsTheArrivingCallWithItsCart()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        var offer = await app.NewOfferAsync(merchant, session);
        var quiet = new
        {
            start = DateTime.UtcNow.AddHours(-1).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            end = DateTime.UtcNow.AddHours(3).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        };
        Assert.Equal(HttpStatusCode.Accepted, (await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences("+12015555000", quiet))).StatusCode);
        using var admin = app.AdminClient();

        var list = (await admin.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/calls?status=active"))!["calls"]!.AsArray();

        var call = Assert.Single(list)!;
        Assert.Equal(CallIds.ForOffer(offer), call["callId"]!.GetValue<string>());
        Assert.Equal("scheduled", call["status"]!.GetValue<string>());
        Assert.Equal(480m, call["cart"]!["value"]!.GetValue<decimal>());
        Assert.Equal(0.82, call["cart"]!["score"]!.GetValue<double>());
        Assert.Contains("Idle in checkout for 4 minutes", call["cart"]!["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/merchants/{merchant}/calls?status=weird")).StatusCode);
    }
}
