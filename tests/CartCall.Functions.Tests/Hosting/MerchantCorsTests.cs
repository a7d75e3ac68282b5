using System.Net;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Hosting;

[Collection(AppCollection.Name)]
public sealed class MerchantCorsTests(AppFixture app)
{
    private const string Allowed = "http://127.0.0.1:5173";

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? origin, string? requestMethod = null)
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add(CartCall.Functions.Features.Merchants.PublishableKeys.Header, AppFixture.PublishableKey);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (requestMethod is not null)
        {
            request.Headers.Add("Access-Control-Request-Method", requestMethod);
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Preflight_FromAllowedOrigin_Answers204WithExactOriginCredentialsMethodsAndHeaders()
    {
        var merchant = await app.CreateKeyedMerchantAsync();

        var response = await SendAsync(HttpMethod.Options, $"/api/merchants/{merchant}/preferences", Allowed, "PUT");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Allowed, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("PUT", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        var headers = response.Headers.GetValues("Access-Control-Allow-Headers").Single();
        Assert.Contains("content-type", headers, StringComparison.Ordinal);
        Assert.Contains("x-cartcall-publishable-key", headers, StringComparison.Ordinal);
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Preflight_FromOriginNotAllowed_Answers403ProblemWithoutCorsHeaders()
    {
        var merchant = await app.CreateKeyedMerchantAsync();

        var response = await SendAsync(HttpMethod.Options, $"/api/merchants/{merchant}/preferences", "https://evil.example", "PUT");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("origin not allowed", (await response.Content.ReadAsStringAsync()).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Get_FromAllowedOrigin_CarriesCorsHeaders_AndFromAnotherIsRefused()
    {
        var merchant = await app.CreateKeyedMerchantAsync();

        var allowed = await SendAsync(HttpMethod.Get, $"/api/merchants/{merchant}/preferences", Allowed);
        var refused = await SendAsync(HttpMethod.Get, $"/api/merchants/{merchant}/preferences", "http://127.0.0.1:5174");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(Allowed, allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Preflight_ForUnknownMerchant_AnswersAsAKnownMerchantDoesAnOriginItDoesNotAllow()
    {
        var known = await app.CreateKeyedMerchantAsync();

        var unknown = await SendAsync(HttpMethod.Options, "/api/merchants/m-nobody-here/preferences", "https://evil.example", "GET");
        var notAllowed = await SendAsync(HttpMethod.Options, $"/api/merchants/{known}/preferences", "https://evil.example", "GET");

        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.StatusCode);
        Assert.Equal(await notAllowed.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_WithoutOrigin_IsServedWithoutCorsHeaders()
    {
        var merchant = await app.CreateKeyedMerchantAsync();

        var response = await SendAsync(HttpMethod.Get, $"/api/merchants/{merchant}/preferences", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.NotNull(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["profileId"]);
    }
}
