using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.AgentWorkspace;
using CartCall.Functions.Features.Calls;
using CartCall.LocalCloud.Acs;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// The agent workspace over real sockets: per-agent keys (issued by the admin, stored hashed, revoked by a new one), the
/// agent's state and device, the browser-call token for the agent's own ACS identity, today's calls with their cart,
/// and the disposition stored with the call.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class AgentWorkspaceTests(CallsFixture app)
{
    private static int numbers;

    private static string NewNumber() => "+1201556" + (1000 + Interlocked.Increment(ref numbers) % 9000).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<string> IssueKeyAsync(string merchant, string agent)
    {
        using var admin = app.AdminClient();
        var response = await admin.PostAsync($"/api/merchants/{merchant}/agents/{agent}/key", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var key = (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        Assert.StartsWith($"cca_{merchant}.{agent}.", key, StringComparison.Ordinal);
        return key;
    }

    private HttpClient AgentClient(string key)
    {
        var client = app.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task AgentKey_SignsTheAgentIn_IsStoredOnlyHashed_AndANewKeyRevokesTheOld()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "dana", phone: NewNumber());
        var first = await IssueKeyAsync(merchant, "dana");

        using (var agent = AgentClient(first))
        {
            var me = (await agent.GetFromJsonAsync<JsonObject>("/api/agent/me"))!;
            Assert.Equal("dana", me["agent"]!["id"]!.GetValue<string>());
            Assert.Equal("available", me["agent"]!["status"]!.GetValue<string>());
            Assert.Equal(merchant, me["merchant"]!["id"]!.GetValue<string>());
        }

        var stored = await app.Service<CartCall.Functions.Features.Agents.TableAgentStore>().GetWithKeyHashAsync(merchant, "dana", CancellationToken.None);
        Assert.Equal(AgentKeys.Hash(first), stored!.Value.KeyHash);
        Assert.DoesNotContain(first[^20..], System.Text.Json.JsonSerializer.Serialize(stored.Value.Agent), StringComparison.Ordinal);

        var second = await IssueKeyAsync(merchant, "dana");
        using (var old = AgentClient(first))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/api/agent/me")).StatusCode);
        }

        using (var fresh = AgentClient(second))
        {
            Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/agent/me")).StatusCode);
        }

        // Neither no key, nor the merchant's admin key, nor a key for another agent of the same form signs anyone in.
        using var none = app.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await none.GetAsync("/api/agent/me")).StatusCode);
        using var admin = app.AdminClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/api/agent/calls")).StatusCode);
        using var forged = AgentClient(second.Replace(".dana.", ".erin.", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/agent/me")).StatusCode);
        using var noAgent = app.AdminClient();
        Assert.Equal(HttpStatusCode.NotFound, (await noAgent.PostAsync($"/api/merchants/{merchant}/agents/nobody/key", null)).StatusCode);
    }

    [Fact]
    public async Task TakingCallsInTheBrowser_GivesTheAgentAnAcsIdentity_ATokenForIt_AndTheLocalAdapter_AndAvailabilityShowsTheRealState()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "eve", phone: NewNumber());
        using var agent = AgentClient(await IssueKeyAsync(merchant, "eve"));

        var me = await (await agent.PutAsJsonAsync("/api/agent/me", new { takesCallsOn = "browser" })).Content.ReadFromJsonAsync<JsonObject>();
        var user = me!["agent"]!["acsUserId"]!.GetValue<string>();
        Assert.StartsWith($"8:acs:{app.Acs.ResourceId}_", user, StringComparison.Ordinal);
        Assert.Equal("browser", me["agent"]!["takesCallsOn"]!.GetValue<string>());
        Assert.Equal("local", me["calling"]!["adapter"]!.GetValue<string>());
        Assert.EndsWith("/calling/signaling", me["calling"]!["signalingUrl"]!.GetValue<string>(), StringComparison.Ordinal);

        var token = (await (await agent.PostAsync("/api/agent/calling-token", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(user, token["userId"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(token["token"]!.GetValue<string>()));

        // Going back to the phone keeps the identity (for the next time) but gives no calling adapter and no token.
        me = await (await agent.PutAsJsonAsync("/api/agent/me", new { takesCallsOn = "phone" })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Null(me!["calling"]);
        Assert.Equal(user, me["agent"]!["acsUserId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await agent.PostAsync("/api/agent/calling-token", null)).StatusCode);

        me = await (await agent.PutAsJsonAsync("/api/agent/me", new { available = false })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("away", me!["agent"]!["status"]!.GetValue<string>());
        me = await (await agent.PutAsJsonAsync("/api/agent/me", new { available = true })).Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("available", me!["agent"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PutAsJsonAsync("/api/agent/me", new { takesCallsOn = "pigeon" })).StatusCode);
    }

    [Fact]
    public async Task TodaysCalls_ShowTheCallTheAgentTook_WithItsCart_AndTheDispositionIsStoredWithTheCall()
    {
        var merchant = await app.CreateMerchantAsync();
        var frank = NewNumber();
        app.Acs.Parties[frank] = PartyScript.Answers(TimeSpan.FromMilliseconds(100)) with { HangUpAfter = TimeSpan.FromMilliseconds(800) };
        await app.AddAgentAsync(merchant, "frank", phone: frank);
        await app.AddAgentAsync(merchant, "gina", phone: NewNumber(), available: false);
        var session = "s-" + Guid.NewGuid().ToString("N")[..10];
        var offer = await app.NewOfferAsync(merchant, session);
        var accepted = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(NewNumber()));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var callId = (await accepted.Content.ReadFromJsonAsync<JsonObject>())!["callId"]!.GetValue<string>();
        await app.WaitForCallAsync(callId, c => c.IsOver);
        using var agent = AgentClient(await IssueKeyAsync(merchant, "frank"));
        using var other = AgentClient(await IssueKeyAsync(merchant, "gina"));

        var today = (await agent.GetFromJsonAsync<JsonArray>("/api/agent/calls"))!;
        var listed = Assert.Single(today)!;
        Assert.Equal(callId, listed["callId"]!.GetValue<string>());
        Assert.Equal("ended", listed["status"]!.GetValue<string>());
        Assert.Equal(480m, listed["cart"]!["value"]!.GetValue<decimal>());
        Assert.Equal("USD", listed["cart"]!["currency"]!.GetValue<string>());
        Assert.Equal("en", listed["language"]!.GetValue<string>());
        Assert.Contains("Idle in checkout for 4 minutes", listed["cart"]!["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Empty((await other.GetFromJsonAsync<JsonArray>("/api/agent/calls"))!);

        // Bad words are refused, naming what is wrong, and store nothing; another agent cannot write up this call.
        var bad = await agent.PutAsJsonAsync($"/api/agent/calls/{callId}/disposition", new { note = new string('x', 1001) });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("outcome", problem, StringComparison.Ordinal);
        Assert.Contains("note", problem, StringComparison.Ordinal);
        Assert.Null(await app.Service<TableCallStore>().GetDispositionAsync(callId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, (await other.PutAsJsonAsync($"/api/agent/calls/{callId}/disposition", new { outcome = "sale" })).StatusCode);

        var saved = await agent.PutAsJsonAsync($"/api/agent/calls/{callId}/disposition", new { outcome = "follow_up", note = "  Wants the grinder too; call Friday.  " });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var again = (await agent.GetFromJsonAsync<JsonObject>($"/api/agent/calls/{callId}"))!;
        Assert.Equal("follow_up", again["disposition"]!["outcome"]!.GetValue<string>());
        Assert.Equal("Wants the grinder too; call Friday.", again["disposition"]!["note"]!.GetValue<string>());
        Assert.Equal("frank", again["disposition"]!["agentId"]!.GetValue<string>());
        Assert.Equal("follow_up", (await agent.GetFromJsonAsync<JsonArray>("/api/agent/calls"))!.Single()!["disposition"]!["outcome"]!.GetValue<string>());
        // The call's own record is untouched by the disposition (the orchestration owns it).
        Assert.Equal(CartCall.Domain.Calls.CallOutcomes.Completed, (await app.CallAsync(callId))!.Outcome);
    }

    [Fact]
    public async Task WorkspacePage_IsServedWithAStrictPolicy_AndAsksForTheAgentKeyNotTheAdminKey()
    {
        using var client = app.Client();
        var response = await client.GetAsync("/api/agent/workspace");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Your agent key", html, StringComparison.Ordinal);
        Assert.DoesNotContain("x-cartcall-admin-key", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("../agent-calling.js", html, StringComparison.Ordinal);
    }
}
