using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CartCall.Functions.Features.Merchants;

namespace CartCall.Functions.Tests.Hosting;

/// <summary>
/// Nobody learns from an answer which merchant ids exist: an unknown merchant gets, byte for byte, the answer a known
/// merchant gives a caller with a wrong signature, a wrong key, or an origin it does not allow.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class UnknownOrUnauthorisedTests(AppFixture app)
{
    private static string Unknown() => "m-" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<(HttpStatusCode Status, string Body)> AnswerAsync(HttpResponseMessage response) =>
        (response.StatusCode, await response.Content.ReadAsStringAsync());

    private static async Task AssertSameAsync(HttpResponseMessage known, HttpResponseMessage unknown, HttpStatusCode expected)
    {
        var k = await AnswerAsync(known);
        var u = await AnswerAsync(unknown);
        Assert.Equal(expected, k.Status);
        Assert.Equal(k, u);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task CartEvents_UnknownMerchant_IsAnsweredAsAWrongSignature()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var body = AppFixture.CartEvent("s-probe", "item_added", DateTimeOffset.UtcNow);

        var known = await client.SendAsync(AppFixture.SignedCartEvent(merchant, body, secret: "whsec_guessed_000000000"));
        var unknown = await client.SendAsync(AppFixture.SignedCartEvent(Unknown(), body, secret: "whsec_guessed_000000000"));
        await AssertSameAsync(known, unknown, HttpStatusCode.Unauthorized);

        // Even signed with a secret that is right for some merchant.
        var rightSecret = await client.SendAsync(AppFixture.SignedCartEvent(Unknown(), body));
        Assert.Equal(await AnswerAsync(known), await AnswerAsync(rightSecret));

        // And the checks before the signature come in the same order for both.
        var knownBare = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{merchant}/cart-events") { Content = AppFixture.Json("{}") });
        var unknownBare = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{Unknown()}/cart-events") { Content = AppFixture.Json("{}") });
        await AssertSameAsync(knownBare, unknownBare, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Shopify_UnknownMerchant_IsAnsweredAsAWrongHmac()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();

        HttpRequestMessage Delivery(string id)
        {
            var bytes = Encoding.UTF8.GetBytes("{\"token\":\"t-probe\"}");
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/merchants/{id}/shopify") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Shopify-Hmac-Sha256", Convert.ToBase64String(HMACSHA256.HashData("shpss_guess"u8, bytes)));
            request.Headers.Add("X-Shopify-Topic", "checkouts/create");
            return request;
        }

        await AssertSameAsync(await client.SendAsync(Delivery(merchant)), await client.SendAsync(Delivery(Unknown())), HttpStatusCode.Unauthorized);
    }

    public static TheoryData<string, string> StorefrontRoutes() => new()
    {
        { "GET", "preferences" },
        { "PUT", "preferences" },
        { "DELETE", "preferences" },
        { "GET", "preferences/export" },
        { "GET", "sessions/s-probe/offers" },
        { "POST", "sessions/s-probe/push" },
        { "POST", "browser-events" },
        { "OPTIONS", "preferences" },
    };

    [Theory]
    [MemberData(nameof(StorefrontRoutes))]
    public async Task StorefrontRoutes_UnknownMerchant_IsAnsweredAsAWrongKeyOrOrigin(string method, string path)
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        var cases = new (string? Key, string? Origin, HttpStatusCode Expected)[]
        {
            ("pk_wrong_000000000000000000000", null, HttpStatusCode.Unauthorized),
            (null, null, HttpStatusCode.Unauthorized),
            (AppFixture.PublishableKey, "https://prober.example", HttpStatusCode.Forbidden),
        };

        foreach (var (key, origin, expected) in cases)
        {
            async Task<HttpResponseMessage> SendAsync(string id)
            {
                using var client = app.CreateClient(handleCookies: false);
                using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/merchants/{id}/{path}");
                if (key is not null)
                {
                    request.Headers.Add(PublishableKeys.Header, key);
                }

                if (origin is not null)
                {
                    request.Headers.Add("Origin", origin);
                }

                if (method is "PUT" or "POST")
                {
                    request.Content = AppFixture.Json("{\"mode\":\"ask\"}");
                }

                return await client.SendAsync(request);
            }

            var known = await SendAsync(merchant);
            var unknown = await SendAsync(Unknown());
            if (method == "OPTIONS" && origin is null)
            {
                // A preflight without an Origin is answered alike for both, before any key is asked for.
                Assert.Equal(await AnswerAsync(known), await AnswerAsync(unknown));
                continue;
            }

            await AssertSameAsync(known, unknown, expected);
        }
    }
}
