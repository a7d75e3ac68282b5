using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.BrowserEvents;

[Collection(WidgetAppCollection.Name)]
public sealed class ReceiveBrowserEventTests(WidgetAppFixture widget)
{
    /// <summary>A browser event; it claims a random X-Forwarded-For, which must change nothing (only the hop the platform adds counts).</summary>
    private static HttpRequestMessage Event(string merchantId, string sessionId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{merchantId}/browser-events")
        {
            Content = JsonContent.Create(AppFixture.CartEvent(sessionId, "item_added", DateTimeOffset.UtcNow)),
        };
        request.Headers.Add("X-Forwarded-For", "203.0.113." + Random.Shared.Next(1, 250));
        return request;
    }

    [Fact]
    public async Task Post_WithKeyFromAllowedOrigin_Returns202AndFeedsTheSession()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);

        var response = await client.SendAsync(Event(merchant, "s-ok"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(WidgetAppFixture.Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False(body["duplicate"]!.GetValue<bool>());
        var session = await widget.App.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, "s-ok", CancellationToken.None);
        Assert.Equal(1, session!.Session.EventCount);
    }

    [Fact]
    public async Task Post_WithoutKey_Returns401Problem()
    {
        var (merchant, _) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(null);

        var response = await client.SendAsync(Event(merchant, "s-nokey"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await widget.App.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, "s-nokey", CancellationToken.None));
    }

    [Fact]
    public async Task Post_FromOriginNotAllowed_Returns403Problem()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key, origin: "https://evil.example");

        var response = await client.SendAsync(Event(merchant, "s-evil"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(await widget.App.Services.GetRequiredService<ISessionStore>().GetAsync(merchant, "s-evil", CancellationToken.None));
    }

    [Fact]
    public async Task Post_WithoutOrigin_Returns403Problem()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.App.CreateClient();
        client.DefaultRequestHeaders.Add("x-cartcall-publishable-key", key);

        var response = await client.SendAsync(Event(merchant, "s-noorigin"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Origin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_OverTheSessionLimit_Returns429ProblemWithRetryAfter()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i <= WidgetAppFixture.PerSessionLimit; i++)
        {
            last = await client.SendAsync(Event(merchant, "s-busy"));
            statuses.Add(last.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Accepted, WidgetAppFixture.PerSessionLimit).Append(HttpStatusCode.TooManyRequests), statuses);
        Assert.Equal("application/problem+json", last!.Content.Headers.ContentType?.MediaType);
        var retryAfter = last.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        // Another session of the same shop is not held back by it.
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(Event(merchant, "s-calm"))).StatusCode);
    }

    [Fact]
    public async Task Post_OverTheAddressLimit_Returns429EvenAcrossSessions()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        // Two shoppers as the platform's front end sees them: connections from two addresses.
        using var client = widget.WidgetClient(key, from: IPAddress.Parse("127.0.0.7"));
        using var other = widget.WidgetClient(key, from: IPAddress.Parse("127.0.0.8"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= WidgetAppFixture.PerAddressLimit; i++)
        {
            statuses.Add((await client.SendAsync(Event(merchant, $"s-addr-{i}"))).StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Accepted, WidgetAppFixture.PerAddressLimit).Append(HttpStatusCode.TooManyRequests), statuses);
        Assert.Equal(HttpStatusCode.Accepted, (await other.SendAsync(Event(merchant, "s-addr-x"))).StatusCode);
    }

    [Fact]
    public async Task Post_InvalidEvent_Returns400ProblemNamingTheField()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);
        var request = Event(merchant, "s-bad");
        request.Content = JsonContent.Create(new { sessionId = "s-bad", type = "teleported" });

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("eventId is required", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_FromAllowedOrigin_Answers204()
    {
        var (merchant, _) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/merchants/{merchant}/browser-events");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type, x-cartcall-publishable-key");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }
}
